/**
 * AES encryption of streamed entries on two worker threads, AES-CTR on one and HMAC-SHA1 on the
 * other, while the event loop reads sources and writes the zip (large media would otherwise spend
 * most of the main thread's time in AES, XOR and HMAC).
 *
 * Plaintext is copied into one of a few fixed slots of shared memory, enciphered there in place,
 * and copied out once into the buffer that goes downstream. The workers allocate nothing per
 * chunk but OpenSSL's 64 KiB keystream runs: fresh memory, not the cipher, was the cost (on the
 * benchmark machine, AES-256 costs 0.25 ms per MiB and HMAC-SHA1 0.6 ms, while a fresh,
 * page-faulted MiB costs 0.5-1 ms).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { AES_MAC_BYTES, type AesEntryKey } from './crypto';

/** Size of a slot: a larger chunk is sent in several. */
export const SLOT_BYTES = 1024 * 1024;
/** Slots, shared by every entry of the process: enough to keep all three threads busy. */
const SLOTS = 6;
/** Bytes enciphered with one call into OpenSSL: large enough to amortise the call. */
const RUN_BYTES = 64 * 1024;

/*
 * The workers' source is a string, not a module file, so that it survives bundling each Lambda
 * into one file; `workerData.role` says which of the two a worker is. It is winZipAesCtr
 * (crypto.ts), in place, and HMAC-SHA1: the unit tests hold both to archiver-zip-encrypted's bytes.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createCipheriv, createHmac } = require('node:crypto');
const slots = Buffer.from(workerData.slots);
const RUN = workerData.runBytes;
const counters = Buffer.alloc(RUN);
const counterWords = new Uint32Array(counters.buffer, counters.byteOffset, RUN / 4);
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const view = new DataView(counters.buffer, counters.byteOffset, counters.byteLength);
const entries = new Map();

function xorRun(data, from, keystream, length) {
  if ((data.byteOffset + from) % 4 === 0 && keystream.byteOffset % 4 === 0) {
    const words = length >>> 2;
    const d = new Int32Array(data.buffer, data.byteOffset + from, words);
    const k = new Int32Array(keystream.buffer, keystream.byteOffset, words);
    for (let i = 0; i < words; i++) d[i] ^= k[i];
    for (let i = words * 4; i < length; i++) data[from + i] ^= keystream[i];
  } else {
    for (let i = 0; i < length; i++) data[from + i] ^= keystream[i];
  }
}

function encipherInPlace(entry, data) {
  let done = 0;
  if (entry.spare.length > 0) {
    const n = Math.min(entry.spare.length, data.length);
    for (let i = 0; i < n; i++) data[i] ^= entry.spare[i];
    entry.spare = entry.spare.subarray(n);
    done = n;
  }
  while (done < data.length) {
    const length = Math.min(RUN, data.length - done);
    const blocks = Math.ceil(length / 16);
    if (littleEndian && entry.block + blocks < 4294967296) {
      for (let b = 0, w = 0, counter = entry.block; b < blocks; b++, w += 4) counterWords[w] = counter++;
    } else {
      for (let b = 0; b < blocks; b++) {
        const counter = entry.block + b;
        view.setUint32(b * 16, counter >>> 0, true);
        view.setUint32(b * 16 + 4, Math.floor(counter / 4294967296), true);
      }
    }
    entry.block += blocks;
    const keystream = entry.ecb.update(counters.subarray(0, blocks * 16));
    if (length % 16 !== 0) entry.spare = Buffer.from(keystream.subarray(length));
    xorRun(data, done, keystream, length);
    done += length;
  }
}

if (workerData.role === 'cipher') {
  // Enciphers each slot in place, then hands every message on to the MAC thread, in order.
  const toMac = workerData.port;
  parentPort.on('message', (message) => {
    if (message.type === 'open') {
      const ecb = createCipheriv('aes-256-ecb', Buffer.from(message.aesKey), null);
      ecb.setAutoPadding(false);
      entries.set(message.id, { ecb, block: 1, spare: Buffer.alloc(0) });
      toMac.postMessage({ type: 'open', id: message.id, hmacKey: message.hmacKey });
      return;
    }
    if (message.type === 'data') {
      const entry = entries.get(message.id);
      const start = message.slot * workerData.slotBytes;
      if (entry) encipherInPlace(entry, slots.subarray(start, start + message.length));
    } else {
      entries.delete(message.id);
    }
    toMac.postMessage(message);
  });
} else {
  // HMAC-SHA1 over each enciphered slot; answers the main thread.
  const macs = new Map();
  workerData.port.on('message', (message) => {
    if (message.type === 'open') {
      macs.set(message.id, createHmac('sha1', Buffer.from(message.hmacKey)));
    } else if (message.type === 'data') {
      const mac = macs.get(message.id);
      const start = message.slot * workerData.slotBytes;
      if (mac) mac.update(slots.subarray(start, start + message.length));
      parentPort.postMessage({ id: message.id, slot: message.slot, length: message.length, dropped: !mac });
    } else if (message.type === 'end') {
      const mac = macs.get(message.id);
      macs.delete(message.id);
      parentPort.postMessage({ id: message.id, mac: mac.digest() });
    } else {
      macs.delete(message.id);
    }
  });
}
`;

/** The MAC thread's answers: a slot enciphered (or dropped), or an entry's MAC; id 0: failure. */
type Reply = {
  id: number;
  slot?: number;
  length?: number;
  dropped?: boolean;
  mac?: Uint8Array;
  /** The slot's ciphertext, copied out on this thread. */
  data?: Buffer;
};

/**
 * Two threads for the process, started on first use: one enciphers each slot in place, the other
 * computes the MAC over it and answers, so that AES and HMAC-SHA1 run on different cores. They
 * keep the process alive only while an entry is being enciphered. Pieces of every entry share the
 * slots, first come first served.
 */
class AesThreads {
  private threads: { cipher: Worker; mac: Worker } | null = null;
  private slots: Buffer | null = null;
  private readonly freeSlots: number[] = [];
  private readonly waitingForRoom: Array<(slot: number | Error) => void> = [];
  private nextId = 1;
  private readonly listeners = new Map<number, (reply: Reply) => void>();
  private failure: Error | null = null;

  open(key: AesEntryKey, listener: (reply: Reply) => void): number {
    const threads = this.start();
    const id = this.nextId++;
    this.listeners.set(id, listener);
    if (this.listeners.size === 1) this.each((thread) => thread.ref());
    threads.cipher.postMessage({ type: 'open', id, aesKey: key.aesKey, hmacKey: key.hmacKey });
    return id;
  }

  /** Calls `ready` with a free slot, once there is one. */
  acquire(ready: (slot: number | Error) => void): void {
    if (this.failure) return ready(this.failure);
    const slot = this.freeSlots.pop();
    if (slot === undefined) this.waitingForRoom.push(ready);
    else ready(slot);
  }

  /** Copies `bytes` into `slot` at `offset` (the caller keeps within SLOT_BYTES). */
  fill(slot: number, offset: number, bytes: Uint8Array): void {
    this.slots!.set(bytes, slot * SLOT_BYTES + offset);
  }

  /** Sends the first `length` bytes of `slot`. Every entry's slots are answered in order. */
  post(id: number, slot: number, length: number): void {
    this.threads!.cipher.postMessage({ type: 'data', id, slot, length });
  }

  /** Gives a slot back: to the first entry waiting for one, else to the free ones. */
  release(slot: number): void {
    const waiting = this.waitingForRoom.shift();
    if (waiting) waiting(slot);
    else this.freeSlots.push(slot);
  }

  end(id: number): void {
    this.start().cipher.postMessage({ type: 'end', id });
  }

  /** Forgets the entry, ended or not: pieces of it still on their way only free their slots. */
  close(id: number): void {
    if (!this.listeners.delete(id)) return;
    this.threads?.cipher.postMessage({ type: 'drop', id });
    if (this.listeners.size === 0) this.each((thread) => thread.unref());
  }

  onFailure(): Error | null {
    return this.failure;
  }

  private each(action: (thread: Worker) => void): void {
    if (!this.threads) return;
    action(this.threads.cipher);
    action(this.threads.mac);
  }

  private start(): { cipher: Worker; mac: Worker } {
    if (this.failure) throw this.failure;
    if (this.threads) return this.threads;
    const memory = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    const slots = Buffer.from(memory);
    const { port1, port2 } = new MessageChannel();
    const thread = (role: 'cipher' | 'mac', port: MessagePort) =>
      new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { role, port, slots: memory, slotBytes: SLOT_BYTES, runBytes: RUN_BYTES },
        transferList: [port],
      });
    const threads = { cipher: thread('cipher', port1), mac: thread('mac', port2) };
    threads.mac.on('message', (reply: Reply) => {
      if (reply.slot !== undefined) {
        if (!reply.dropped) {
          // Not zero-filled: every byte is copied over at once.
          const start = reply.slot * SLOT_BYTES;
          reply.data = Buffer.allocUnsafeSlow(reply.length!);
          reply.data.set(slots.subarray(start, start + reply.length!));
        }
        this.release(reply.slot);
        if (reply.dropped) return;
      }
      this.listeners.get(reply.id)?.(reply);
    });
    const fail = (error: Error) => {
      if (this.failure) return;
      this.failure = error;
      this.each((other) => void other.terminate());
      this.threads = null;
      for (const waiting of this.waitingForRoom.splice(0)) waiting(error);
      for (const listener of this.listeners.values()) listener({ id: 0 });
    };
    threads.cipher.on('error', fail);
    threads.mac.on('error', fail);
    this.threads = threads;
    this.slots = slots;
    this.freeSlots.length = 0;
    for (let slot = 0; slot < SLOTS; slot++) this.freeSlots.push(slot);
    return threads;
  }
}

const shared = new AesThreads();

/**
 * The same entry bytes as aesEncryptWhole (salt, verifier, ciphertext, MAC), enciphered on the
 * worker threads. Chunks are gathered into a slot, which is sent when full and at the end: sources
 * such as S3 bodies arrive in chunks of a few kilobytes, and each message between threads costs a
 * wake-up. Ciphertext arrives after its chunk was taken, so the reader's backpressure is applied by
 * hand: no slot is taken while more than the high-water mark waits to be read.
 */
export class AesWorkerEncryptor extends Transform {
  bytesIn = 0;
  bytesOut = 0;
  private id = 0;
  /** The slot being filled, and how much of it is. */
  private slot: number | null = null;
  private filled = 0;
  private finishing: ((mac: Buffer) => void) | null = null;
  private waitingForReader: (() => void) | null = null;

  constructor(private readonly key: Promise<AesEntryKey>) {
    super({ readableHighWaterMark: 2 * SLOT_BYTES });
  }

  override _read(size: number): void {
    const waiting = this.waitingForReader;
    this.waitingForReader = null;
    waiting?.();
    super._read(size);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    // The reader asking for more (_read) is the go-ahead: it asks before it takes what it reads.
    const gather = (from: number, readerAsked = false): void => {
      if (from >= chunk.length) return done();
      if (this.slot === null) {
        if (!readerAsked && this.readableLength >= this.readableHighWaterMark) {
          this.waitingForReader = () => gather(from, true);
          return;
        }
        return shared.acquire((slot) => {
          if (slot instanceof Error) return done(slot);
          // Destroyed while it waited: the slot goes straight back, or no entry would get it again.
          if (this.destroyed) return shared.release(slot);
          this.slot = slot;
          this.filled = 0;
          gather(from);
        });
      }
      const bytes = chunk.subarray(from, from + SLOT_BYTES - this.filled);
      shared.fill(this.slot, this.filled, bytes);
      this.filled += bytes.length;
      this.bytesIn += bytes.length;
      if (this.filled === SLOT_BYTES) this.send();
      gather(from + bytes.length);
    };
    if (this.id) return gather(0);
    this.start().then(() => gather(0), done);
  }

  override _flush(done: TransformCallback): void {
    const finish = () => {
      this.finishing = (mac) => {
        const truncated = mac.subarray(0, AES_MAC_BYTES);
        this.bytesOut += truncated.length;
        shared.close(this.id);
        done(null, truncated);
      };
      this.send();
      shared.end(this.id);
    };
    if (this.id) return finish();
    this.start().then(finish, done);
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    if (this.slot !== null) shared.release(this.slot);
    this.slot = null;
    if (this.id) shared.close(this.id);
    done(error);
  }

  /** Sends the slot being filled, if it holds anything. */
  private send(): void {
    if (this.slot === null) return;
    if (this.filled > 0) shared.post(this.id, this.slot, this.filled);
    else shared.release(this.slot);
    this.slot = null;
  }

  private async start(): Promise<void> {
    const key = await this.key;
    this.id = shared.open(key, (reply) => this.onReply(reply));
    const header = Buffer.concat([key.salt, key.verifier]);
    this.bytesOut += header.length;
    this.push(header);
  }

  private onReply(reply: Reply): void {
    if (reply.data) {
      const ciphertext = reply.data;
      this.bytesOut += ciphertext.length;
      this.push(ciphertext);
    } else if (reply.mac) {
      this.finishing?.(Buffer.from(reply.mac));
    } else {
      this.destroy(shared.onFailure() ?? new Error('the AES worker stopped'));
    }
  }
}
