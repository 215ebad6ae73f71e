import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES, safeName, stem, UniqueNames, withoutWhitespace } from '../../shared/names';
import { segmentProblem } from '../../shared/store/segments';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('safe names (DESIGN §7)', () => {
  it('replaces characters no file system accepts and strips leading dots', () => {
    expect(safeName('Streets: day/night')).toBe('Streets_ day_night');
    expect(safeName('a\\b*c?d"e<f>g|h\u0001i')).toBe('a_b_c_d_e_f_g_h_i');
    expect(safeName('../../etc/passwd')).toBe('____etc_passwd');
    expect(safeName('.hidden')).toBe('hidden');
    expect(safeName('...')).toBe('_');
    expect(safeName('trailing. ')).toBe('trailing');
  });

  it('keeps names and stems unique in a folder, case-insensitively', () => {
    const names = new UniqueNames();
    expect(
      ['cat.jpg', 'cat.png', 'Cat.jpg', 'cat (2).png', 'a/b.png', 'a:b.png'].map((n) =>
        names.claim(n),
      ),
    ).toEqual([
      'cat.jpg',
      'cat (2).png',
      'Cat (3).jpg',
      'cat (2) (2).png',
      'a_b.png',
      'a_b (2).png',
    ]);
  });

  it('takes the stem before the last extension', () => {
    expect(stem('c.d.jpg')).toBe('c.d');
    expect(stem('noext')).toBe('noext');
    expect(stem('batch.1/noext')).toBe('batch.1/noext');
    expect(stem('batch.1/x.png')).toBe('batch.1/x');
  });

  it('keeps the folders of item names that are relative paths, each segment made safe', () => {
    const names = new UniqueNames({ keepFolders: true });
    expect(
      [
        'batch_1/000006.jpg',
        'batch_1/000006.png',
        'BATCH_1/000006.jpg',
        'batch_1_000006.jpg',
        'a:b/c?.jpg',
        'x/../y.jpg',
        '/abs.jpg',
        'batch_1',
        'file',
        'file/inside.jpg',
      ].map((n) => names.claim(n)),
    ).toEqual([
      'batch_1/000006.jpg',
      'batch_1/000006 (2).png',
      'BATCH_1/000006 (3).jpg',
      'batch_1_000006.jpg',
      'a_b/c_.jpg',
      // Unsafe paths are flattened as before.
      'x___y.jpg',
      '_abs.jpg',
      // A file may not take the name of a folder, nor a folder that of a file.
      'batch_1 (2)',
      'file',
      'file_inside.jpg',
    ]);
  });

  it('flattens every name without keepFolders (dataset folders)', () => {
    expect(new UniqueNames().claim('Streets: day/night')).toBe('Streets_ day_night');
  });

  it('replaces whitespace for whitespace-separated formats', () => {
    expect(withoutWhitespace('Streets day\tnight  x.png')).toBe('Streets_day_night_x.png');
  });
});

describe('names cut to their length limit (DESIGN §7)', () => {
  it('keeps the extension of a name cut to the limit', () => {
    const name = `${'scan '.repeat(60)}final.png`;
    const safe = safeName(name);
    expect(bytes(safe)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(safe.endsWith('.png')).toBe(true);
    expect(safe.startsWith('scan scan')).toBe(true);
  });

  it('cuts by UTF-8 bytes at whole characters, keeping the extension', () => {
    const safe = safeName(`${'猫'.repeat(150)}.jpeg`);
    expect(safe).toBe(`${'猫'.repeat(65)}.jpeg`);
    const emoji = safeName(`${'🚀'.repeat(80)}.webp`);
    expect(bytes(emoji)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(emoji).toMatch(/^(🚀)+\.webp$/u);
  });

  it('keeps the limit and the extension when a repeat gets its (n)', () => {
    const names = new UniqueNames();
    const long = `${'y'.repeat(300)}.png`;
    const first = names.claim(long);
    const second = names.claim(long);
    expect(second).not.toBe(first);
    expect(second.endsWith(' (2).png')).toBe(true);
    expect(bytes(second)).toBeLessThanOrEqual(MAX_NAME_BYTES);
  });

  it('replaces control, bidirectional and invisible characters', () => {
    expect(safeName('invoice\u202egpj.exe')).toBe('invoice_gpj.exe');
    expect(safeName('a\u0085b\u200bc\u2066d\ufeffe\u2028f')).toBe('a_b_c_d_e_f');
    expect(safeName('👨‍👩‍👧.png')).toBe('👨‍👩‍👧.png');
  });

  it('makes every name a safe key segment within the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (name) => {
        const safe = safeName(name);
        expect(segmentProblem(safe)).toBeUndefined();
        expect(bytes(safe)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(safe).not.toMatch(/^[.\s]|[.\s]$/);
      }),
      { numRuns: 1000 },
    );
  });
});
