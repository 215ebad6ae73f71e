import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from '../../shared/pipeline/bundle';

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
