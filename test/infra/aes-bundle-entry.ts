/**
 * Bundled by aes-thread-bundle.test.ts as a function's handler is: writes an AES-256 archive with
 * one streamed entry (which the AES threads encipher) to the file named by its first argument.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createArchive } from '../../shared/archive';

const [out, password, size] = process.argv.slice(2) as [string, string, string];
const data = Buffer.alloc(Number(size));
for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;

/** Chunks of uneven sizes, as S3 bodies arrive, so that pieces end inside AES blocks. */
function* chunks(): Generator<Buffer> {
  for (let at = 0, n = 0; at < data.length; n++) {
    const length = [4093, 65_536, 17, 1_048_583][n % 4]!;
    yield data.subarray(at, at + length);
    at += length;
  }
}

const archive = createArchive({ password, encryption: 'aes256', date: new Date(0) });
const written = pipeline(archive.stream, createWriteStream(out));
await archive.append('data.bin', Readable.from(chunks()), { store: true });
await archive.finalize();
await written;
