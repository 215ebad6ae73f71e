import { describe, expect, it } from 'vitest';
import { safeName, stem, UniqueNames, withoutWhitespace } from '../../shared/names';

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
