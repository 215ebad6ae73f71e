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
import { sourceWorker } from '../threads';
import { AES_MAC_BYTES, type AesEntryKey } from './crypto';

/** Size of a slot: a larger chunk is sent in several. */
export const SLOT_BYTES = 1024 * 1024;
/** Slots, shared by every entry of the process: enough to keep all three threads busy. */
const SLOTS = 6;

/** The threads' module in a bundle, beside the bundle of this one. */
export const AES_THREAD_FILE = 'aes-worker-thread.mjs';

/** What each of the two threads is started with. */
export interface AesThreadData {
  role: 'cipher' | 'mac';
  /** The other thread: the cipher thread's messages go on to the MAC thread through it. */
  port: MessagePort;
  slots: SharedArrayBuffer;
  slotBytes: number;
}

/** The main thread's messages to the cipher thread, passed on to the MAC thread. */
export type ThreadMessage =
  | { type: 'open'; id: number; aesKey: Uint8Array; hmacKey: Uint8Array }
  | { type: 'data'; id: number; slot: number; length: number }
  | { type: 'end' | 'drop'; id: number };

/** The MAC thread's answers: a slot enciphered (or dropped), or an entry's MAC; id 0: failure. */
export type MacReply = {
  id: number;
  slot?: number;
  length?: number;
  dropped?: boolean;
  mac?: Uint8Array;
};

function tell(cipherThread: Worker, message: ThreadMessage): void {
  cipherThread.postMessage(message);
}

/** A reply as the entry's stream gets it: with the slot's ciphertext, copied out on this thread. */
type Reply = MacReply & { data?: Buffer };

/**
 * Starts one of the two threads from its module, which lies beside this one: in each function's
 * bundle as an ES module of its own (infra/constructs/export-function.ts), in the source tree as
 * TypeScript, loaded through tsx (shared/threads.ts).
 */
function startThread(workerData: AesThreadData): Worker {
  const options = { workerData, transferList: [workerData.port] };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL(`./${AES_THREAD_FILE}`, import.meta.url), options);
  return sourceWorker(new URL('./aes-worker-thread.ts', import.meta.url), options);
}

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
    tell(threads.cipher, { type: 'open', id, aesKey: key.aesKey, hmacKey: key.hmacKey });
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
    tell(this.threads!.cipher, { type: 'data', id, slot, length });
  }

  /** Gives a slot back: to the first entry waiting for one, else to the free ones. */
  release(slot: number): void {
    const waiting = this.waitingForRoom.shift();
    if (waiting) waiting(slot);
    else this.freeSlots.push(slot);
  }

  end(id: number): void {
    tell(this.start().cipher, { type: 'end', id });
  }

  /** Forgets the entry, ended or not: pieces of it still on their way only free their slots. */
  close(id: number): void {
    if (!this.listeners.delete(id)) return;
    if (this.threads) tell(this.threads.cipher, { type: 'drop', id });
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
      startThread({ role, port, slots: memory, slotBytes: SLOT_BYTES });
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
