import { describe, expect, it } from 'vitest';
import { FileSpool, decodeBundle, encodeBundle } from '../../shared/pipeline/bundle';

describe('shard bundles', () => {
  it('give back every file, text and binary, byte for byte and in order', () => {
    const png = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10, 0, 255, 10, 10]);
    const files = [
      { path: 'annotations/Parks/a.xml', body: '<annotation>é\n</annotation>\n' },
      { path: 'annotations/Parks/a.png', body: png },
      { path: 'annotations/Parks/empty.txt', body: '' },
      { path: 'annotations/Parks/line\nbreak "quoted".txt', body: '0 0.5 0.5 0.1 0.1\n' },
    ];
    const decoded = [...decodeBundle(encodeBundle(files))];
    expect(decoded.map((f) => f.path)).toEqual(files.map((f) => f.path));
    decoded.forEach((file, n) => {
      const body = files[n]!.body;
      expect(
        Buffer.from(file.body).equals(
          typeof body === 'string' ? Buffer.from(body) : Buffer.from(body),
        ),
      ).toBe(true);
    });
  });

  it('refuses a truncated bundle', () => {
    const bundle = encodeBundle([{ path: 'a.txt', body: 'hello' }]);
    expect(() => [...decodeBundle(bundle.subarray(0, bundle.length - 1))]).toThrow(
      'bundle is truncated inside a.txt',
    );
  });
});

describe('a shard file spool', () => {
  /** A bundle store in memory that counts what it was asked. */
  function memoryStore() {
    const bundles = new Map<number, Buffer>();
    return {
      bundles,
      put: async (n: number, bundle: Buffer) => void bundles.set(n, bundle),
      get: async (n: number) => bundles.get(n)!,
    };
  }
  const files = Array.from({ length: 7 }, (_, n) => ({
    path: `annotations/Parks/${n}.txt`,
    body: n % 2 ? Uint8Array.from([n, 10, 255]) : `${n} `.repeat(n + 1),
  }));
  const bytesOf = (body: string | Uint8Array) => Buffer.from(body as Uint8Array);

  it('gives back every file in the order added, staging bundles once it holds the limit', async () => {
    const store = memoryStore();
    const spool = new FileSpool(store, 8);
    for (const file of files) await spool.add(file.path, file.body);
    expect(store.bundles.size).toBeGreaterThan(1);
    const back: Array<{ path: string; body: Buffer }> = [];
    for await (const file of spool.files())
      back.push({ path: file.path, body: bytesOf(file.body) });
    expect(back.map((f) => f.path)).toEqual(files.map((f) => f.path));
    back.forEach((file, n) => expect(file.body.equals(bytesOf(files[n]!.body))).toBe(true));
  });

  it('stages nothing while the files fit in memory', async () => {
    const store = memoryStore();
    const spool = new FileSpool(store);
    for (const file of files) await spool.add(file.path, file.body);
    expect(store.bundles.size).toBe(0);
    const paths: string[] = [];
    for await (const file of spool.files()) paths.push(file.path);
    expect(paths).toEqual(files.map((f) => f.path));
  });
});
