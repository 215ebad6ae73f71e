/**
 * AES encryption of streamed entries on a worker thread, so that the cipher runs on one core while
 * the event loop reads sources and writes the zip on another (large media would otherwise spend
 * half of the main thread's time in AES, XOR and HMAC).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { AES_MAC_BYTES, type AesEntryKey } from './crypto';

/*
 * The worker's source is a string, not a module file, so that it survives bundling each Lambda
 * into one file. It is WinZipAesCtr (crypto.ts) plus HMAC-SHA1: the unit tests hold both to
 * archiver-zip-encrypted's bytes.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createCipheriv, createHmac } = require('node:crypto');
const RUN = 65536;
const counters = Buffer.alloc(RUN);
const counterWords = new Uint32Array(counters.buffer, counters.byteOffset, RUN / 4);
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const view = new DataView(counters.buffer, counters.byteOffset, counters.byteLength);
const scratch = Buffer.allocUnsafeSlow(RUN);
const entries = new Map();

function encipher(entry, data) {
  const out = Buffer.from(new ArrayBuffer(data.length));
  let done = 0;
  if (entry.spare.length > 0) {
    const n = Math.min(entry.spare.length, data.length);
    for (let i = 0; i < n; i++) out[i] = data[i] ^ entry.spare[i];
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
    // The data's own words when aligned; else an aligned copy.
    const source = (data.byteOffset + done) % 4 === 0 ? data.subarray(done, done + length) : scratch;
    if (source === scratch) scratch.set(data.subarray(done, done + length));
    if (keystream.byteOffset % 4 === 0) {
      const words = length >>> 2;
      const k = new Int32Array(keystream.buffer, keystream.byteOffset, words);
      const s = new Int32Array(source.buffer, source.byteOffset, words);
      for (let i = 0; i < words; i++) k[i] ^= s[i];
      for (let i = words * 4; i < length; i++) keystream[i] ^= source[i];
    } else {
      for (let i = 0; i < length; i++) keystream[i] ^= source[i];
    }
    out.set(keystream.subarray(0, length), done);
    done += length;
  }
  entry.mac.update(out);
  return out;
}

parentPort.on('message', (message) => {
  if (message.type === 'open') {
    const ecb = createCipheriv('aes-256-ecb', Buffer.from(message.aesKey), null);
    ecb.setAutoPadding(false);
    const mac = createHmac('sha1', Buffer.from(message.hmacKey));
    entries.set(message.id, { ecb, mac, block: 1, spare: Buffer.alloc(0) });
  } else if (message.type === 'data') {
    const out = encipher(entries.get(message.id), new Uint8Array(message.data));
    parentPort.postMessage({ id: message.id, data: out.buffer }, [out.buffer]);
  } else if (message.type === 'end') {
    const entry = entries.get(message.id);
    entries.delete(message.id);
    parentPort.postMessage({ id: message.id, mac: entry.mac.digest() });
  }
});
`;

type Reply = { id: number; data?: ArrayBuffer; mac?: Uint8Array };

/**
 * One worker for the process, started on first use. It keeps the process alive only while an
 * entry is being enciphered.
 */
class AesWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly listeners = new Map<number, (reply: Reply) => void>();
  private failure: Error | null = null;

  open(key: AesEntryKey, listener: (reply: Reply) => void): number {
    const worker = this.start();
    const id = this.nextId++;
    this.listeners.set(id, listener);
    if (this.listeners.size === 1) worker.ref();
    worker.postMessage({ type: 'open', id, aesKey: key.aesKey, hmacKey: key.hmacKey });
    return id;
  }

  send(id: number, chunk: Uint8Array): void {
    // A copy that the worker owns: the source's buffer may be pooled or still in use.
    const copy = new Uint8Array(chunk);
    this.start().postMessage({ type: 'data', id, data: copy.buffer }, [copy.buffer]);
  }

  end(id: number): void {
    this.start().postMessage({ type: 'end', id });
  }

  close(id: number): void {
    if (this.listeners.delete(id) && this.listeners.size === 0) this.worker?.unref();
  }

  onFailure(): Error | null {
    return this.failure;
  }

  private start(): Worker {
    if (this.failure) throw this.failure;
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => this.listeners.get(reply.id)?.(reply));
    worker.on('error', (error) => {
      this.failure = error;
      this.worker = null;
      for (const listener of this.listeners.values()) listener({ id: 0 });
    });
    this.worker = worker;
    return worker;
  }
}

const shared = new AesWorker();

/** Chunks in flight to the worker per entry: enough to keep both threads busy, and no more. */
const IN_FLIGHT = 4;

/**
 * The same entry bytes as AesEntryEncryptor (salt, verifier, ciphertext, MAC), enciphered on the
 * worker. Up to IN_FLIGHT chunks are at the worker at once; the worker answers in order.
 */
export class AesWorkerEncryptor extends Transform {
  bytesIn = 0;
  bytesOut = 0;
  private id = 0;
  private inFlight = 0;
  private waitingForRoom: TransformCallback | null = null;
  private finishing: ((mac: Buffer) => void) | null = null;

  constructor(private readonly key: Promise<AesEntryKey>) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const send = () => {
      this.bytesIn += chunk.length;
      this.inFlight++;
      shared.send(this.id, chunk);
      if (this.inFlight < IN_FLIGHT) done();
      else this.waitingForRoom = done;
    };
    if (this.id) return send();
    this.start().then(send, done);
  }

  override _flush(done: TransformCallback): void {
    const finish = () => {
      this.finishing = (mac) => {
        const truncated = mac.subarray(0, AES_MAC_BYTES);
        this.bytesOut += truncated.length;
        shared.close(this.id);
        done(null, truncated);
      };
      shared.end(this.id);
    };
    if (this.id) return finish();
    this.start().then(finish, done);
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    if (this.id) shared.close(this.id);
    done(error);
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
      const ciphertext = Buffer.from(reply.data);
      this.bytesOut += ciphertext.length;
      this.inFlight--;
      this.push(ciphertext);
      const waiting = this.waitingForRoom;
      this.waitingForRoom = null;
      waiting?.();
    } else if (reply.mac) {
      this.finishing?.(Buffer.from(reply.mac));
    } else {
      this.destroy(shared.onFailure() ?? new Error('the AES worker stopped'));
    }
  }
}
