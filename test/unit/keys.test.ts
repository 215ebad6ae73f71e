import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseRequestKey,
  recordKeys,
  requestKeys,
  storeKeys,
  workKeys,
} from '../../shared/store/keys';
import { mediaKeyProblem, projectIdProblem, segmentProblem } from '../../shared/store/segments';

/** Strings that could take a key outside its folder, or that no file system or header takes. */
const UNSAFE = [
  '',
  '.',
  '..',
  '../x',
  'x/..',
  'a/b',
  '/abs',
  'a\\b',
  '..\\..\\x',
  'a..b',
  'nul\u0000',
  'bell\u0007',
  'new\nline',
  'del\u007f',
  'next\u0085line',
  'csi\u009b',
  'rlo\u202e',
  'lri\u2066',
  'zwsp\u200b',
  'bom\ufeff',
  'ls\u2028',
  'ps\u2029',
  'lone\ud800',
  'x'.repeat(256),
];

describe('safe key segments (DESIGN §15)', () => {
  it.each(UNSAFE.map((s) => [JSON.stringify(s), s]))('refuses %s', (_, value) => {
    expect(segmentProblem(value)).toBeDefined();
  });

  it.each([
    't1',
    'detect-objects',
    'Streets day',
    'café',
    '训练',
    '%2e%2e',
    'a.b',
    '🚀',
    '👨‍👩‍👧',
    '🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}',
    'ייצוא\u200f',
    'x'.repeat(255),
  ])('accepts %j', (value) => {
    expect(segmentProblem(value)).toBeUndefined();
  });

  it('never lets a checked segment change the folder a key points at', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        if (segmentProblem(value) !== undefined) return;
        const key = storeKeys.task('p', value);
        const parts = key.split('/');
        expect(parts).toEqual(['projects', 'p', 'tasks', value, 'task.json']);
        expect(parts.some((part) => part === '.' || part === '..')).toBe(false);
        expect(value).not.toMatch(/[\\\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069\u200b\ufeff]/u);
      }),
      { numRuns: 2000 },
    );
  });

  it('builds no key from an unchecked id: every builder throws a ValidationError naming the id', () => {
    const builders: Array<(bad: string) => string> = [
      (bad) => storeKeys.project(bad),
      (bad) => storeKeys.task('p', bad),
      (bad) => storeKeys.dataset('p', bad),
      (bad) => storeKeys.items('p', bad),
      (bad) => storeKeys.annotations('p', bad, 'd'),
      (bad) => storeKeys.annotations('p', 't', bad),
      (bad) => storeKeys.media('p', bad, 'a.png'),
      (bad) => recordKeys.record(bad, 'e'),
      (bad) => recordKeys.record('p', bad),
      (bad) => recordKeys.archive('p', 'e', bad),
      (bad) => recordKeys.secret(bad),
      (bad) => workKeys.root(bad),
      (bad) => requestKeys.status(bad, 'n'),
      (bad) => requestKeys.status('p', bad),
    ];
    for (const build of builders)
      for (const bad of ['..', 'a/b', 'a\\b', 'nul\u0000', '\u0085'])
        expect(() => build(bad), `${build.toString()} ${JSON.stringify(bad)}`).toThrow(
          expect.objectContaining({ name: 'ValidationError' }) as Error,
        );
    for (const bad of ['../x.png', 'a/../../b', '/abs', 'a\\b', 'nul\u0000'])
      expect(() => storeKeys.media('p', 'd', bad)).toThrow(/^media_key /);
  });
});

describe('media keys: relative POSIX paths under media/', () => {
  it.each(['a.png', 'sub/a.png', 'video-1/', 'a b/c d.jpg', 'deep/er/still/x.webp'])(
    'accepts %j',
    (key) => {
      expect(mediaKeyProblem(key)).toBeUndefined();
      expect(storeKeys.media('p', 'd', key)).toBe(`projects/p/datasets/d/media/${key}`);
    },
  );

  it.each([
    ['a parent segment', '../../../../other/datasets/d/media/x.png'],
    ['a parent segment inside', 'a/../../x.png'],
    ['a leading slash', '/etc/passwd'],
    ['a backslash', 'a\\b.png'],
    ['an empty segment', 'a//b.png'],
    ['a current-folder segment', './a.png'],
    ['NUL', 'a\u0000.png'],
    ['a C1 control', 'a\u0085.png'],
    ['a bidi override', 'a\u202e.png'],
    ['nothing', ''],
    ['too many bytes', `${'x'.repeat(200)}/${'y'.repeat(200)}/${'z'.repeat(200)}`],
  ])('refuses %s', (_, key) => {
    expect(mediaKeyProblem(key)).toBeDefined();
  });
});

describe('project ids: a key segment and part of a Cognito group name', () => {
  it.each(['sample', 'my-project_2', 'P.1', 'café', 'proj:2026', 'x'.repeat(120)])(
    'accepts %j',
    (id) => {
      expect(projectIdProblem(id)).toBeUndefined();
    },
  );

  it.each([
    'a,admin',
    '"admin"',
    "it's",
    '[admin]',
    'a]',
    'a b',
    'tab\t',
    'nbsp\u00a0x',
    'ideographic\u3000space',
    '..',
    'a/b',
    'x'.repeat(121),
  ])('refuses %j', (id) => {
    expect(projectIdProblem(id)).toBeDefined();
  });
});

describe('request object keys', () => {
  it('reads requests/{projectId}/{name}.json', () => {
    expect(parseRequestKey('requests/p1/nightly coco.json')).toEqual({
      projectId: 'p1',
      name: 'nightly coco',
    });
    expect(requestKeys.status('p1', 'nightly coco')).toBe('requests/p1/nightly coco.status.json');
  });

  it.each([
    'requests/../projects/p/x.json',
    'requests/p/../../projects/p/x.json',
    'requests/../x.json',
    'requests/p/sub/x.json',
    'requests/p\\..\\..\\projects/x.json',
    'requests/p/..json',
    'requests/p/x\u0000.json',
    'requests/x.json',
    'requests/p/x.status.json',
    'projects/p/x.json',
    'requests/p/x.txt',
  ])('ignores %j', (key) => {
    expect(parseRequestKey(key)).toBeUndefined();
  });
});
