/**
 * Zip encryption on Node's native crypto: WinZip AES-256 (AE-2) and the traditional PKWARE
 * cipher ("ZipCrypto"). Byte for byte what archiver-zip-encrypted writes, without its pure
 * JavaScript AES and its event-loop-blocking key derivation (DESIGN §10, §19).
 */
import { type Cipher, createCipheriv, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';

/** WinZip AES: 16-byte salt for AES-256, PBKDF2-HMAC-SHA1 with 1000 rounds. */
export const AES_SALT_BYTES = 16;
export const AES_VERIFIER_BYTES = 2;
export const AES_MAC_BYTES = 10;
const AES_KEY_BYTES = 32;
const PBKDF2_ROUNDS = 1000;

export interface AesEntryKey {
  salt: Buffer;
  aesKey: Buffer;
  hmacKey: Buffer;
  verifier: Buffer;
}

/** Derives one entry's keys from the password and a fresh salt, on libuv's thread pool. */
export function deriveAesEntryKey(
  password: Buffer,
  salt: Buffer = randomBytes(AES_SALT_BYTES),
): Promise<AesEntryKey> {
  return new Promise((resolve, reject) => {
    pbkdf2(
      password,
      salt,
      PBKDF2_ROUNDS,
      2 * AES_KEY_BYTES + AES_VERIFIER_BYTES,
      'sha1',
      (error, key) => {
        if (error) return reject(error);
        resolve({
          salt,
          aesKey: key.subarray(0, AES_KEY_BYTES),
          hmacKey: key.subarray(AES_KEY_BYTES, 2 * AES_KEY_BYTES),
          verifier: key.subarray(2 * AES_KEY_BYTES),
        });
      },
    );
  });
}

/**
 * Entry keys derived ahead of the stream. Each entry needs its own salt (the same key and counter
 * on two entries would reuse the keystream), and a derivation costs ~1 ms of CPU: a stock of
 * `depth` keys is derived in the background, `parallel` at a time on libuv's thread pool. Not
 * more: the pool's four threads also serve file reads, DNS lookups and zlib, which would
 * otherwise queue behind a burst of derivations.
 */
export class AesKeyPool {
  private readonly stock: Array<Promise<AesEntryKey>> = [];
  private readonly waiting: Array<() => void> = [];
  private running = 0;

  constructor(
    private readonly password: Buffer,
    private readonly depth = 32,
    private readonly parallel = Math.max(1, Math.min(3, availableParallelism())),
  ) {}

  take(): Promise<AesEntryKey> {
    while (this.stock.length <= this.depth) this.stock.push(this.derive());
    return this.stock.shift()!;
  }

  private derive(): Promise<AesEntryKey> {
    const key = new Promise<AesEntryKey>((resolve, reject) => {
      const start = () => {
        this.running++;
        deriveAesEntryKey(this.password)
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.waiting.shift()?.();
          });
      };
      if (this.running < this.parallel) start();
      else this.waiting.push(start);
    });
    // A key taken later is awaited then; one never taken must not become an unhandled rejection.
    key.catch(() => undefined);
    return key;
  }
}

/** Largest run of data enciphered with one call into OpenSSL: large enough to amortise the call. */
export const RUN_BYTES = 64 * 1024;

/**
 * Counter blocks for WinZip's AES-256-CTR: a 128-bit little-endian integer starting at 1
 * (OpenSSL's CTR mode counts big-endian, so it cannot be used directly). One run's blocks are
 * laid out in a buffer that is reused, and enciphered with AES-256-ECB in one native call. Only
 * the low 8 bytes of each block are ever written; the high 8 stay zero.
 */
class CounterBlocks {
  private readonly bytes = Buffer.alloc(RUN_BYTES);
  private readonly words = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset, RUN_BYTES / 4);
  private readonly view = new DataView(this.bytes.buffer, this.bytes.byteOffset, RUN_BYTES);

  /** Blocks `first` to `first + count - 1`, for at most RUN_BYTES / 16 blocks. */
  lay(first: number, count: number): Buffer {
    if (LITTLE_ENDIAN && first + count <= 2 ** 32) {
      // The common case: the counter fits in the block's first 32-bit word. The second is
      // cleared too: a run of an entry past 2^32 blocks (64 GiB) may have set it.
      for (let b = 0, w = 0, counter = first; b < count; b++, w += 4) {
        this.words[w] = counter++;
        this.words[w + 1] = 0;
      }
    } else {
      for (let b = 0; b < count; b++) {
        const counter = first + b;
        this.view.setUint32(b * 16, counter >>> 0, true);
        this.view.setUint32(b * 16 + 4, Math.floor(counter / 2 ** 32), true);
      }
    }
    return this.bytes.subarray(0, count * 16);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/*
 * Scratch space of this thread, shared by every entry enciphered on it: an archive of 100,000
 * small files must not allocate (and zero) 128 KiB per entry.
 */
const counters = new CounterBlocks();
const alignedScratch = Buffer.allocUnsafeSlow(RUN_BYTES);

function aesEcb(aesKey: Uint8Array): Cipher {
  const ecb = createCipheriv('aes-256-ecb', aesKey, null);
  ecb.setAutoPadding(false);
  return ecb;
}

/**
 * A whole entry's data enciphered (or deciphered) with AES-256-CTR as WinZip uses it, the
 * keystream XORed with the data run by run (runs of at most 64 KiB). The data is left as it is:
 * the result is one new buffer per run, joining them would copy every byte once more. Streamed
 * entries go through aes-worker.ts, which enciphers with WinZipAesCtr.
 */
export function winZipAesCtr(aesKey: Buffer, data: Uint8Array): Buffer[] {
  const ecb = aesEcb(aesKey);
  const pieces: Buffer[] = [];
  for (let done = 0, block = 1; done < data.length;) {
    const length = Math.min(RUN_BYTES, data.length - done);
    const blocks = Math.ceil(length / 16);
    const keystream = ecb.update(counters.lay(block, blocks));
    block += blocks;
    xorInto(keystream, data.subarray(done, done + length), alignedScratch);
    pieces.push(keystream.subarray(0, length));
    done += length;
  }
  return pieces;
}

/**
 * The same cipher over data that arrives in pieces of any length, enciphered in place: the
 * keystream left over from a piece that ends inside a block starts the next one.
 */
export class WinZipAesCtr {
  private readonly ecb: Cipher;
  private block = 1;
  private spare: Buffer = Buffer.alloc(0);

  constructor(aesKey: Uint8Array) {
    this.ecb = aesEcb(aesKey);
  }

  encipherInPlace(data: Uint8Array): void {
    let done = Math.min(this.spare.length, data.length);
    if (done > 0) {
      xorInto(data.subarray(0, done), this.spare.subarray(0, done), alignedScratch);
      this.spare = this.spare.subarray(done);
    }
    while (done < data.length) {
      const length = Math.min(RUN_BYTES, data.length - done);
      const blocks = Math.ceil(length / 16);
      const keystream = this.ecb.update(counters.lay(this.block, blocks));
      this.block += blocks;
      // A copy: keeping a view would keep the whole run's keystream alive.
      if (length % 16 !== 0) this.spare = Buffer.from(keystream.subarray(length));
      xorInto(data.subarray(done, done + length), keystream.subarray(0, length), alignedScratch);
      done += length;
    }
  }
}

/** target[i] ^= source[i] for the length of source, four bytes at a time where alignment allows. */
function xorInto(target: Uint8Array, source: Uint8Array, scratch: Buffer): void {
  const length = source.length;
  const words = length >>> 2;
  if (target.byteOffset % 4 !== 0) {
    for (let i = 0; i < length; i++) target[i]! ^= source[i]!;
    return;
  }
  let from = source;
  if (source.byteOffset % 4 !== 0) {
    scratch.set(source);
    from = scratch;
  }
  const t = new Int32Array(target.buffer, target.byteOffset, words);
  const s = new Int32Array(from.buffer, from.byteOffset, words);
  for (let i = 0; i < words; i++) t[i]! ^= s[i]!;
  for (let i = words * 4; i < length; i++) target[i]! ^= from[i]!;
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** The ZipCrypto header: 11 random bytes and a check byte, enciphered before the data. */
export const ZIPCRYPTO_HEADER_BYTES = 12;

/**
 * The traditional PKWARE stream cipher (APPNOTE 6.1). OpenSSL has no such cipher, so it runs
 * here, on int32 state in one tight loop.
 */
export class ZipCryptoCipher {
  private k0 = 0x12345678;
  private k1 = 0x23456789;
  private k2 = 0x34567890;

  constructor(password: Uint8Array) {
    for (const byte of password) this.updateKeys(byte);
  }

  encrypt(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    let { k0, k1, k2 } = this;
    for (let i = 0; i < data.length; i++) {
      const plain = data[i]!;
      const t = (k2 | 2) & 0xffff;
      out[i] = plain ^ ((Math.imul(t, t ^ 1) >>> 8) & 0xff);
      k0 = CRC_TABLE[(k0 ^ plain) & 0xff]! ^ (k0 >>> 8);
      k1 = (Math.imul((k1 + (k0 & 0xff)) | 0, 134775813) + 1) | 0;
      k2 = CRC_TABLE[(k2 ^ (k1 >>> 24)) & 0xff]! ^ (k2 >>> 8);
    }
    this.k0 = k0;
    this.k1 = k1;
    this.k2 = k2;
    return out;
  }

  decrypt(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    for (let i = 0; i < data.length; i++) {
      const t = (this.k2 | 2) & 0xffff;
      const plain = data[i]! ^ ((Math.imul(t, t ^ 1) >>> 8) & 0xff);
      out[i] = plain;
      this.updateKeys(plain);
    }
    return out;
  }

  private updateKeys(byte: number): void {
    this.k0 = CRC_TABLE[(this.k0 ^ byte) & 0xff]! ^ (this.k0 >>> 8);
    this.k1 = (Math.imul((this.k1 + (this.k0 & 0xff)) | 0, 134775813) + 1) | 0;
    this.k2 = CRC_TABLE[(this.k2 ^ (this.k1 >>> 24)) & 0xff]! ^ (this.k2 >>> 8);
  }
}

/**
 * One ZipCrypto entry's data: the enciphered 12-byte header, then the enciphered data. Entries
 * are streamed with a data descriptor, so the CRC is not known when the header is written: the
 * check byte is then the high byte of the entry's DOS time, as Info-ZIP writes and every reader
 * (unzip, 7-Zip, zip.js) checks.
 */
export class ZipCryptoEntryEncryptor extends Transform {
  bytesIn = 0;
  bytesOut = 0;
  private readonly cipher: ZipCryptoCipher;
  private headerSent = false;

  constructor(
    password: Buffer,
    private readonly checkByte: number,
  ) {
    super();
    this.cipher = new ZipCryptoCipher(password);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.sendHeader();
    this.bytesIn += chunk.length;
    const ciphertext = this.cipher.encrypt(chunk);
    this.bytesOut += ciphertext.length;
    done(null, ciphertext);
  }

  override _flush(done: TransformCallback): void {
    this.sendHeader();
    done();
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    const header = zipCryptoHeader(this.cipher, this.checkByte);
    this.bytesOut += header.length;
    this.push(header);
  }
}

/** The enciphered 12-byte header that starts a ZipCrypto entry: random bytes, then the check byte. */
export function zipCryptoHeader(cipher: ZipCryptoCipher, checkByte: number): Buffer {
  const header = randomBytes(ZIPCRYPTO_HEADER_BYTES);
  header[ZIPCRYPTO_HEADER_BYTES - 1] = checkByte;
  return cipher.encrypt(header);
}

/** A whole small AES entry's data at once: salt, verifier, ciphertext, MAC. */
export function aesEncryptWhole(key: AesEntryKey, data: Uint8Array): Buffer[] {
  const ciphertext = winZipAesCtr(key.aesKey, data);
  const mac = createHmac('sha1', key.hmacKey);
  for (const piece of ciphertext) mac.update(piece);
  return [key.salt, key.verifier, ...ciphertext, mac.digest().subarray(0, AES_MAC_BYTES)];
}
