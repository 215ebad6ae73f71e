import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** An entry to put into a zip, in whichever form its body is handed over. */
export interface TestEntry {
  name: string;
  /** A fresh body for each archive it goes into (a stream is read once). */
  body: () => Buffer | string | Readable;
  bytes: Buffer;
  store?: boolean;
}

/** Reproducible bytes that do not compress: sha256 in counter mode. */
export function pseudoRandomBytes(seed: string, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let block = 0; block * 32 < length; block++) {
    createHash('sha256')
      .update(`${seed}:${block}`)
      .digest()
      .copy(out, block * 32);
  }
  return out;
}

/** `bytes` handed over in pieces of the given sizes (the rest in one), as an S3 body arrives. */
export function inPieces(bytes: Buffer, sizes: number[]): Readable {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) pieces.push(bytes.subarray(at));
  return Readable.from(pieces);
}

/**
 * One of each kind of entry the archive layer writes: deflated text from a buffer and from a
 * stream, stored media from a buffer, a stream and a buffer too large to be written at once, an
 * empty file, a non-ASCII name and a name the archive layer rewrites.
 */
export function entryKinds(): TestEntry[] {
  const text = Buffer.from('{"images":[],"annotations":[]}\n'.repeat(500));
  const csv = Buffer.from('image,label,x,y\n'.repeat(3000));
  const photo = pseudoRandomBytes('photo', 40_001);
  const clip = pseudoRandomBytes('clip', 300_007);
  const large = pseudoRandomBytes('large', 1024 * 1024 + 5);
  return [
    { name: 'annotations/ds/coco.json', body: () => text, bytes: text },
    { name: 'annotations/ds/labels.csv', body: () => inPieces(csv, [1, 4096, 999]), bytes: csv },
    { name: 'datasets/ds/photo.JPG', body: () => photo, bytes: photo },
    { name: 'datasets/ds/clip.mp4', body: () => inPieces(clip, [65_536, 7, 100_000]), bytes: clip },
    { name: 'datasets/ds/large.png', body: () => large, bytes: large },
    { name: 'datasets/ds/empty.txt', body: () => '', bytes: Buffer.alloc(0) },
    { name: 'datasets/ds/naïve ☃.txt', body: () => 'ünïcode', bytes: Buffer.from('ünïcode') },
    { name: 'datasets\\ds\\back.txt', body: () => 'slashes', bytes: Buffer.from('slashes') },
  ];
}
