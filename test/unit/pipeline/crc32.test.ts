import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Crc32Concat, crc32Combine } from '../../../shared/pipeline/crc32';

describe('crc32Combine', () => {
  it('gives the CRC-32 of two byte strings joined, from their own CRC-32s and lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const joined = Buffer.concat([a, b]);
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(joined));
      }),
    );
  });

  it('counts lengths past 4 GiB exactly: joining is associative at any length', () => {
    // (A+B)+C and A+(B+C) shift by |B|, |C| and |B|+|C| bytes: a length cut to 32 bits on either
    // side would make them differ.
    const length = fc.integer({ min: 0, max: 2 ** 40 });
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), length, length, (a, b, c, lengthB, lengthC) => {
        const left = crc32Combine(crc32Combine(a, b, lengthB), c, lengthC);
        const right = crc32Combine(a, crc32Combine(b, c, lengthC), lengthB + lengthC);
        expect(left).toBe(right);
      }),
    );
    expect(crc32Combine(1, 0, 2 ** 32)).not.toBe(crc32Combine(1, 0, 0));
  });
});

describe('Crc32Concat', () => {
  it('is the CRC-32 and length of every piece appended, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 8 }), (pieces) => {
        const concat = new Crc32Concat();
        for (const piece of pieces) concat.append(crc32(piece), piece.length);
        const joined = Buffer.concat(pieces);
        expect(concat.crc).toBe(crc32(joined));
        expect(concat.bytes).toBe(joined.length);
        expect(concat.hex()).toBe(crc32(joined).toString(16).padStart(8, '0'));
      }),
    );
  });
});
