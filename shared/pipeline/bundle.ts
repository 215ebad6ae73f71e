/**
 * A shard's per-item files (one VOC XML, YOLO text or mask PNG per image) staged as ONE object
 * instead of hundreds: each file is a JSON header line `{"path","bytes"}` followed by its bytes.
 * A bundle holds one shard's files, so its size is bounded by SHARD_ITEMS whatever the export's size.
 */
export interface BundledFile {
  path: string;
  body: Uint8Array;
}

export function encodeBundle(files: Iterable<{ path: string; body: string | Uint8Array }>): Buffer {
  const pieces: Buffer[] = [];
  for (const file of files) {
    const body =
      typeof file.body === 'string' ? Buffer.from(file.body, 'utf8') : Buffer.from(file.body);
    pieces.push(
      Buffer.from(JSON.stringify({ path: file.path, bytes: body.length }) + '\n', 'utf8'),
      body,
    );
  }
  return Buffer.concat(pieces);
}

export function* decodeBundle(bundle: Buffer): Iterable<BundledFile> {
  let offset = 0;
  while (offset < bundle.length) {
    const newline = bundle.indexOf(0x0a, offset);
    if (newline < 0) throw new Error('bundle is truncated: a header has no end');
    const header = JSON.parse(bundle.toString('utf8', offset, newline)) as {
      path: string;
      bytes: number;
    };
    const start = newline + 1;
    const end = start + header.bytes;
    if (end > bundle.length) throw new Error(`bundle is truncated inside ${header.path}`);
    yield { path: header.path, body: bundle.subarray(start, end) };
    offset = end;
  }
}
