/**
 * The CRC-32 of bytes that are joined without being read: CRC-32 (zip's, reflected polynomial
 * 0xEDB88320) composes, so the checksum of A followed by B follows from the checksums of A and B
 * and the length of B (zlib's crc32_combine). The archive is stitched from segments on S3 and
 * package never sees most of its bytes; each segment's CRC-32 is taken as it is written, and the
 * archive's is combined from them.
 */

const POLYNOMIAL = 0xedb88320;
/** x^0 in the reflected representation. */
const ONE = 0x80000000;

/** a(x) · b(x) modulo the CRC polynomial, both reflected. */
function multiplyModP(a: number, b: number): number {
  let mask = ONE;
  let product = 0;
  for (;;) {
    if (a & mask) {
      product ^= b;
      if ((a & (mask - 1)) === 0) break;
    }
    mask >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLYNOMIAL : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31: squares of x, one after the other. */
const POWERS_OF_TWO: number[] = (() => {
  const table: number[] = [];
  let power = ONE >>> 1; // x^1
  for (let k = 0; k < 32; k++) {
    table.push(power);
    power = multiplyModP(power, power);
  }
  return table;
})();

/** x^(8·bytes) modulo the polynomial: shifting a CRC past `bytes` zero bytes. Any safe integer. */
function shiftPast(bytes: number): number {
  let result = ONE;
  let k = 3; // 8 = 2^3
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) result = multiplyModP(POWERS_OF_TWO[k % 32]!, result);
  }
  return result;
}

/** The CRC-32 of A followed by B, from A's CRC-32, B's and B's length. */
export function crc32Combine(first: number, second: number, secondBytes: number): number {
  return (multiplyModP(shiftPast(secondBytes), first) ^ second) >>> 0;
}

/** A running CRC-32 over pieces whose checksums and lengths are known. */
export class Crc32Concat {
  crc = 0;
  bytes = 0;

  append(crc: number, bytes: number): void {
    this.crc = crc32Combine(this.crc, crc, bytes);
    this.bytes += bytes;
  }

  /** The checksum as eight lower-case hex digits, as `crc32` and 7-Zip print it. */
  hex(): string {
    return this.crc.toString(16).padStart(8, '0');
  }
}
