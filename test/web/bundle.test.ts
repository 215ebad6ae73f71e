import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildWeb } from '../../web/build';

/** The page's budget (issue: at most 150 KB gzipped, everything it loads together). */
const GZIP_BUDGET = 150 * 1024;

describe('the web bundle', () => {
  const files = buildWeb();
  const text = (suffix: string) =>
    new TextDecoder().decode(files.find((f) => f.path.endsWith(suffix))!.body);

  it('is index.html with one hashed script and one hashed stylesheet it names', () => {
    expect(files.map((f) => f.path).sort()).toEqual([
      expect.stringMatching(/^\/app-[A-Z0-9]+\.css$/),
      expect.stringMatching(/^\/app-[A-Z0-9]+\.js$/),
      '/index.html',
    ]);
    const html = text('.html');
    for (const file of files.filter((f) => f.path !== '/index.html'))
      expect(html).toContain(`"${file.path}"`);
  });

  it(`weighs at most ${GZIP_BUDGET / 1024} KB gzipped`, () => {
    const gzipped = files.reduce((sum, f) => sum + gzipSync(f.body, { level: 9 }).byteLength, 0);
    expect(gzipped).toBeLessThanOrEqual(GZIP_BUDGET);
  });

  it('names no other host: no CDN, no web font, no analytics', () => {
    const all = files.map((f) => new TextDecoder().decode(f.body)).join('\n');
    const urls = [...all.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)].map(
      (m) => m[0],
    );
    // XML namespaces (Preact's SVG support) are names, never fetched.
    expect(urls.filter((u) => !/^http:\/\/www\.w3\.org\//.test(u))).toEqual([]);
    expect(all).not.toMatch(/@import|@font-face/);
  });
});
