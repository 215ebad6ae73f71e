import { describe, expect, it } from 'vitest';
import { safeName, stem, UniqueNames } from '../../shared/names';

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
  });
});
