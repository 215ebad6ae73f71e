import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobReader,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipReader,
  configure,
  type FileEntry,
} from '@zip.js/zip.js';
import {
  bufferSmall,
  createArchive,
  createDigestStream,
  fetchAhead,
  isCompressedMedia,
  type ArchiveOptions,
} from '../../shared/archive';
import { AesWorkerEncryptor, SLOT_BYTES } from '../../shared/archive/aes-worker';
import {
  AesKeyPool,
  ZipCryptoCipher,
  aesEncryptWhole,
  deriveAesEntryKey,
  type AesEntryKey,
} from '../../shared/archive/crypto';

configure({ useWebWorkers: false });

// archiver-zip-encrypted's own cipher streams: the byte-for-byte reference for ours.
const require = createRequire(import.meta.url);
const ReferenceAesStream =
  require('archiver-zip-encrypted/lib/aes/aes-hmac-etm-stream.js') as new (options: {
    key: Buffer;
    salt: Buffer;
  }) => Transform;
const ReferenceZipCrypto = require('archiver-zip-encrypted/lib/zip20/CryptoCipher.js') as new (
  key: Buffer,
) => { encrypt(data: Buffer): Buffer };

const PASSWORD = 'correct horse € battery';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Pushes `data` through `stream` cut at the given sizes (the rest in one piece). */
async function throughInChunks(stream: Transform, data: Buffer, cuts: number[]): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of cuts) {
    if (at >= data.length) break;
    pieces.push(data.subarray(at, Math.min(data.length, at + cut)));
    at += cut;
  }
  if (at < data.length) pieces.push(data.subarray(at));
  const output = collect(stream);
  await pipeline(Readable.from(pieces), stream);
  return output;
}

/** An AES entry's whole data as the main thread writes a small entry: the reference for the workers. */
async function onMainThread(key: Promise<AesEntryKey>, data: Buffer): Promise<Buffer> {
  return Buffer.concat(aesEncryptWhole(await key, data));
}

interface TestEntry {
  name: string;
  body: () => Buffer | string | Readable;
  bytes: Buffer;
}

function sampleEntries(): TestEntry[] {
  const text = Buffer.from('{"images":[],"annotations":[]}\n'.repeat(2000));
  const photo = randomBytes(150_001);
  const streamed = randomBytes(200_003);
  const video = randomBytes(1_500_007);
  return [
    { name: 'annotations/ds/coco.json', body: () => text, bytes: text },
    // Stored and streamed; and a buffer too large to be written in one go.
    {
      name: 'datasets/ds/clip.mp4',
      body: () => Readable.from([video.subarray(0, 99_999), video.subarray(99_999)]),
      bytes: video,
    },
    { name: 'datasets/ds/big.png', body: () => video, bytes: video },
    { name: 'datasets/ds/photo.JPG', body: () => photo, bytes: photo },
    { name: 'datasets/ds/empty.txt', body: () => '', bytes: Buffer.alloc(0) },
    { name: 'datasets/ds/naïve name.txt', body: () => 'ünïcode', bytes: Buffer.from('ünïcode') },
    {
      name: 'datasets/ds/streamed.bin',
      // Odd chunk sizes cross AES block boundaries in every way.
      body: () =>
        Readable.from(
          [0, 7, 16, 1000, 65_536, 70_000, 200_003].reduce<Buffer[]>(
            (parts, end, i, ends) =>
              i === 0 ? parts : [...parts, streamed.subarray(ends[i - 1], end)],
            [],
          ),
        ),
      bytes: streamed,
    },
  ];
}

async function buildZip(options: ArchiveOptions, entries: TestEntry[]): Promise<Buffer> {
  const archive = createArchive(options);
  const bytes = collect(archive.stream);
  for (const entry of entries) await archive.append(entry.name, entry.body());
  await archive.finalize();
  return bytes;
}

async function readEntries(zip: Buffer | Blob, password?: string | Uint8Array) {
  const reader = new ZipReader(
    zip instanceof Blob ? new BlobReader(zip) : new Uint8ArrayReader(zip),
    {
      ...(typeof password === 'string' ? { password } : { rawPassword: password }),
      checkCrc32: true,
    },
  );
  const entries = (await reader.getEntries()) as FileEntry[];
  const contents = new Map<string, Buffer>();
  for (const entry of entries) {
    contents.set(entry.filename, Buffer.from(await entry.getData(new Uint8ArrayWriter())));
  }
  await reader.close();
  return { entries, contents };
}

describe('AES-256 (WinZip AE-2) on native crypto', () => {
  it('writes the same entry bytes as archiver-zip-encrypted for the same salt, on the main thread and on the worker', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 140_000 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 6 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        async (length, cuts, salt) => {
          const password = Buffer.from(PASSWORD);
          const data = randomBytes(length);
          const ours = await onMainThread(deriveAesEntryKey(password, Buffer.from(salt)), data);
          const reference = await throughInChunks(
            new ReferenceAesStream({ key: password, salt: Buffer.from(salt) }),
            data,
            cuts,
          );
          const onWorker = await throughInChunks(
            new AesWorkerEncryptor(deriveAesEntryKey(password, Buffer.from(salt))),
            data,
            cuts,
          );
          expect(ours.equals(reference)).toBe(true);
          expect(onWorker.equals(reference)).toBe(true);
          expect(ours.length).toBe(length + 28);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('enciphers on the worker threads the same bytes for chunks larger than a slot and for entries in parallel', async () => {
    const password = Buffer.from(PASSWORD);
    const inputs = [
      // One chunk of several slots, its end not on a block boundary.
      { data: randomBytes(2 * SLOT_BYTES + 12_345), cuts: [2 * SLOT_BYTES + 12_345] },
      // A slot and a bit, then odd pieces.
      { data: randomBytes(SLOT_BYTES + 5_000), cuts: [SLOT_BYTES + 1, 3, 4_996] },
      { data: randomBytes(777_777), cuts: [100_000, 17, 333_333] },
    ];
    const salts = inputs.map(() => randomBytes(16));
    const onWorkers = await Promise.all(
      inputs.map(({ data, cuts }, i) =>
        throughInChunks(new AesWorkerEncryptor(deriveAesEntryKey(password, salts[i])), data, cuts),
      ),
    );
    for (const [i, { data }] of inputs.entries()) {
      const reference = await onMainThread(deriveAesEntryKey(password, salts[i]), data);
      expect(onWorkers[i]!.equals(reference), `entry ${i}`).toBe(true);
    }
  });

  it('takes no more plaintext than its slots and one high-water mark of ciphertext while nobody reads', async () => {
    const data = randomBytes(24 * SLOT_BYTES);
    const key = deriveAesEntryKey(Buffer.from(PASSWORD), randomBytes(16));
    const encryptor = new AesWorkerEncryptor(key);
    const source = Readable.from(
      Array.from({ length: 24 }, (_, i) => data.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES)),
    );
    source.pipe(encryptor);
    // Long enough for the threads to encipher everything they were given.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const taken = encryptor.bytesIn;
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThanOrEqual(encryptor.readableHighWaterMark + 8 * SLOT_BYTES);
    // Reading resumes it, and nothing was lost on the way.
    const output = await collect(encryptor);
    const reference = await onMainThread(key, data);
    expect(output.equals(reference)).toBe(true);
  });

  it('gives its slots back when destroyed, even while waiting for one', async () => {
    const key = deriveAesEntryKey(Buffer.from(PASSWORD), randomBytes(16));
    // Twelve entries with a part of a slot each: six hold the slots, six wait for one.
    const stuck = Array.from({ length: 12 }, () => new AesWorkerEncryptor(key));
    for (const encryptor of stuck) encryptor.write(randomBytes(100_000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The waiting ones first: the slots the others give back then reach only destroyed entries.
    for (const encryptor of stuck.reverse()) encryptor.destroy();
    // Every slot is free again: an entry of more slots than there are goes through.
    const data = randomBytes(10 * SLOT_BYTES + 3);
    const output = await throughInChunks(new AesWorkerEncryptor(key), data, [SLOT_BYTES]);
    const reference = await onMainThread(key, data);
    expect(output.equals(reference)).toBe(true);
  }, 20_000);

  it('derives a fresh salt for every entry, ahead of use', async () => {
    const pool = new AesKeyPool(Buffer.from(PASSWORD), 4);
    const salts = new Set<string>();
    for (let i = 0; i < 20; i++) salts.add((await pool.take()).salt.toString('hex'));
    expect(salts.size).toBe(20);
  });

  it('opens with the right password, contents byte-identical', async () => {
    const entries = sampleEntries();
    const zip = await buildZip({ password: PASSWORD }, entries);
    const { entries: read, contents } = await readEntries(zip, PASSWORD);
    expect(read.map((e) => e.filename)).toEqual(entries.map((e) => e.name));
    for (const entry of entries) expect(contents.get(entry.name)!.equals(entry.bytes)).toBe(true);
    for (const entry of read) {
      expect(entry.encrypted).toBe(true);
      expect(entry.zipCrypto).toBe(false);
    }
  });

  it('stores compressed media and deflates text', async () => {
    const entries = sampleEntries();
    const zip = await buildZip({ password: PASSWORD }, entries);
    const { entries: read } = await readEntries(zip, PASSWORD);
    const byName = new Map(read.map((e) => [e.filename, e]));
    const photo = byName.get('datasets/ds/photo.JPG')!;
    expect(photo.compressedSize).toBe(photo.uncompressedSize + 28);
    const coco = byName.get('annotations/ds/coco.json')!;
    expect(coco.compressedSize).toBeLessThan(coco.uncompressedSize / 20);
  });

  it('fails with a wrong password', async () => {
    const zip = await buildZip({ password: PASSWORD }, sampleEntries().slice(0, 1));
    await expect(readEntries(zip, 'wrong password')).rejects.toThrow(/password/i);
    await expect(readEntries(zip)).rejects.toThrow(/encrypted/i);
  });
});

describe('ZipCrypto', () => {
  it('enciphers exactly as archiver-zip-encrypted does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.string({ minLength: 1 }),
        (data, password) => {
          const key = Buffer.from(password);
          const ours = new ZipCryptoCipher(key).encrypt(data);
          const reference = new ReferenceZipCrypto(key).encrypt(Buffer.from(data));
          expect(ours.equals(reference)).toBe(true);
          expect(new ZipCryptoCipher(key).decrypt(ours).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  // The traditional cipher defines no text encoding; readers that take text passwords (Windows,
  // zip.js) only agree with each other on ASCII ones.
  const ASCII_PASSWORD = 'zip crypto 123!';

  it('opens with the right password, contents byte-identical', async () => {
    const entries = sampleEntries();
    const zip = await buildZip({ password: ASCII_PASSWORD, encryption: 'zipcrypto' }, entries);
    const { entries: read, contents } = await readEntries(zip, ASCII_PASSWORD);
    for (const entry of entries) expect(contents.get(entry.name)!.equals(entry.bytes)).toBe(true);
    for (const entry of read) {
      expect(entry.encrypted).toBe(true);
      expect(entry.zipCrypto).toBe(true);
    }
  });

  it('keys a non-ASCII password from its UTF-8 bytes, as Info-ZIP and 7-Zip on Linux do', async () => {
    const zip = await buildZip({ password: PASSWORD, encryption: 'zipcrypto' }, sampleEntries());
    const { contents } = await readEntries(zip, Buffer.from(PASSWORD, 'utf8'));
    expect(contents.get('datasets/ds/naïve name.txt')!.toString()).toBe('ünïcode');
  });

  it('fails with a wrong password', async () => {
    const zip = await buildZip(
      { password: ASCII_PASSWORD, encryption: 'zipcrypto' },
      sampleEntries().slice(0, 1),
    );
    await expect(readEntries(zip, 'wrong password')).rejects.toThrow(/password/i);
  });
});

describe('plain zip', () => {
  it('has no encryption without a password and keeps contents byte-identical', async () => {
    const entries = sampleEntries();
    const zip = await buildZip({}, entries);
    const { entries: read, contents } = await readEntries(zip);
    for (const entry of entries) expect(contents.get(entry.name)!.equals(entry.bytes)).toBe(true);
    expect(read.every((e) => !e.encrypted)).toBe(true);
  });

  it('stamps every entry with the given date', async () => {
    const date = new Date('2024-03-05T14:30:16Z');
    const zip = await buildZip({ date }, sampleEntries().slice(0, 2));
    const { entries } = await readEntries(zip);
    // DOS times carry no zone: archiver writes UTC fields, zip.js reads them as local ones.
    for (const { lastModDate: d } of entries) {
      expect([
        d.getFullYear(),
        d.getMonth(),
        d.getDate(),
        d.getHours(),
        d.getMinutes(),
        d.getSeconds(),
      ]).toEqual([2024, 2, 5, 14, 30, 16]);
    }
  });
});

describe('isCompressedMedia', () => {
  it('stores images, video and archives, and deflates text and raw images', () => {
    for (const name of [
      'a.jpg',
      'b.JPEG',
      'c/d.png',
      'e.webp',
      'f.mp4',
      'g.mov',
      'h.zip',
      'i.gz',
    ]) {
      expect(isCompressedMedia(name)).toBe(true);
    }
    for (const name of [
      'coco.json',
      'a.csv',
      'b.xml',
      'c.txt',
      'd.bmp',
      'e.tif',
      'jpg',
      'x.jpg/y',
    ]) {
      expect(isCompressedMedia(name)).toBe(false);
    }
  });
});

describe('createDigestStream', () => {
  it('gives the sha256 and size of the bytes passed through, unchanged', async () => {
    const data = randomBytes(300_000);
    const digest = createDigestStream();
    const out = collect(digest);
    await pipeline(Readable.from([data.subarray(0, 1), data.subarray(1)]), digest);
    expect((await out).equals(data)).toBe(true);
    expect(digest.bytes).toBe(data.length);
    expect(digest.sha256()).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('digests a whole archive as written to disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digest-'));
    try {
      const archive = createArchive({ password: PASSWORD });
      const digest = createDigestStream();
      const path = join(dir, 'a.zip');
      const written = pipeline(archive.stream, digest, createWriteStream(path));
      await archive.append('a.txt', 'a');
      await archive.finalize();
      await written;
      const file = await readFile(path);
      expect(digest.bytes).toBe(file.length);
      expect(digest.sha256()).toBe(createHash('sha256').update(file).digest('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fetchAhead', () => {
  const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('yields in key order with at most `concurrency` fetches in flight', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (delays, concurrency) => {
          let inFlight = 0;
          let most = 0;
          const open = async (i: number) => {
            inFlight++;
            most = Math.max(most, inFlight);
            await delay(delays[i]!);
            inFlight--;
            return i;
          };
          const seen: number[] = [];
          for await (const i of fetchAhead(delays.keys(), open, { concurrency })) seen.push(i);
          expect(seen).toEqual([...delays.keys()]);
          expect(most).toBeLessThanOrEqual(concurrency);
          if (delays.length >= concurrency) expect(most).toBe(concurrency);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('throws a failed fetch in its turn, after the ones before it', async () => {
    const seen: number[] = [];
    const open = async (i: number) => {
      await delay(i === 3 ? 0 : 5);
      if (i === 3) throw new Error('missing media object 3');
      return i;
    };
    await expect(
      (async () => {
        for await (const i of fetchAhead([0, 1, 2, 3, 4, 5], open, { concurrency: 4 }))
          seen.push(i);
      })(),
    ).rejects.toThrow('missing media object 3');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('discards what was fetched ahead when the consumer stops', async () => {
    const discarded: number[] = [];
    const opened: number[] = [];
    const open = async (i: number) => {
      opened.push(i);
      return i;
    };
    for await (const i of fetchAhead(
      Array.from({ length: 100 }, (_, i) => i),
      open,
      {
        concurrency: 3,
        discard: (value) => discarded.push(value),
      },
    )) {
      if (i === 1) break;
    }
    expect(opened.length).toBeLessThanOrEqual(5);
    expect(discarded.sort()).toEqual(opened.filter((i) => i > 1));
  });

  it('feeds source streams into an archive in order', async () => {
    const sources = Array.from({ length: 12 }, (_, i) => randomBytes(1000 + i));
    const archive = createArchive({ password: PASSWORD });
    const bytes = collect(archive.stream);
    const opened = fetchAhead(
      sources.keys(),
      async (i) => {
        await delay(12 - i);
        const body = new PassThrough();
        body.end(sources[i]);
        return { i, body };
      },
      { concurrency: 4, discard: ({ body }) => body.destroy() },
    );
    for await (const { i, body } of opened) await archive.append(`media/${i}.jpg`, body);
    await archive.finalize();
    const { contents } = await readEntries(await bytes, PASSWORD);
    sources.forEach((source, i) =>
      expect(contents.get(`media/${i}.jpg`)!.equals(source)).toBe(true),
    );
  });
});

describe('bufferSmall', () => {
  const pieces = (data: Buffer, size: number) =>
    Readable.from(
      Array.from({ length: Math.ceil(data.length / size) }, (_, i) =>
        data.subarray(i * size, (i + 1) * size),
      ),
    );

  it('reads a stream that ends within the limit into one buffer', async () => {
    const data = randomBytes(10_000);
    const result = await bufferSmall(pieces(data, 999), 10_000);
    expect(Buffer.isBuffer(result)).toBe(true);
    expect((result as Buffer).equals(data)).toBe(true);
  });

  it('hands a larger stream back whole, what was read first included', async () => {
    const data = randomBytes(300_000);
    const result = await bufferSmall(pieces(data, 7_000), 20_000);
    expect(Buffer.isBuffer(result)).toBe(false);
    expect((await collect(result as Readable)).equals(data)).toBe(true);
  });

  it('passes on an error of the source, before and after the limit', async () => {
    const failing = (after: number) =>
      Readable.from(
        (async function* () {
          yield randomBytes(after);
          throw new Error('connection reset');
        })(),
      );
    await expect(bufferSmall(failing(10), 1000)).rejects.toThrow('connection reset');
    const large = await bufferSmall(failing(5000), 1000);
    await expect(collect(large as Readable)).rejects.toThrow('connection reset');
  });
});
