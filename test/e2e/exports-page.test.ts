/**
 * The exports tab in a real browser (headless Chromium) against the local stack, as a person uses
 * it: the dialog, the live progress bar, the download opened with its password, a refused request,
 * delete, the keyboard, two screen widths, and an accessibility check with axe-core.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '../../local/start';
import { SAMPLE_TASK_IDS } from '../../local/sample';
import { formatTable } from '../../shared/formats/index';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { launchBrowser } from './browser';

const require = createRequire(import.meta.url);
/** Screenshots for people to look at; git-ignored. */
export const SCREENSHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
const TIME_ZONE = 'Asia/Kolkata';
const PASSWORD = 'correct horse 7!';

let service: LocalService;
let browser: Browser;
let page: Page;
let origin: string;
let dataDir: string;
let profile: string;
let downloads: string;
const requests: Array<{ url: string; method: string; at: number }> = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'annotation-export-e2e-'));
  downloads = mkdtempSync(join(tmpdir(), 'annotation-export-downloads-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Small shards: the sample's 20 items run as several shards, so progress has steps to show.
  service = await startLocalService({ directory: dataDir, shardItems: 3 });
  origin = service.api.url;
  ({ browser, profile } = await launchBrowser());
  page = await browser.newPage();
  // axe-core is injected as a script, which the page's own CSP would refuse.
  await page.setBypassCSP(true);
  await page.emulateTimezone(TIME_ZONE);
  await page.setViewport({ width: 1280, height: 900 });
  page.on('request', (request: HTTPRequest) =>
    requests.push({ url: request.url(), method: request.method(), at: Date.now() }),
  );
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  await page.goto(`${origin}/`, { waitUntil: 'networkidle0' });
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  for (const dir of [dataDir, downloads, profile])
    if (dir) rmSync(dir, { recursive: true, force: true });
});

async function axeViolations(context?: string): Promise<string[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const results = (await page.evaluate(async (selector) => {
    const axe = (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<unknown> } })
      .axe;
    return axe.run(selector ? document.querySelector(selector) : document, {
      resultTypes: ['violations'],
    });
  }, context ?? null)) as {
    violations: Array<{
      id: string;
      impact: string;
      help: string;
      nodes: Array<{ target: string[] }>;
    }>;
  };
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

const dialog = '.export-dialog[open]';

async function openDialog(): Promise<void> {
  await page.click('.view-header .button-primary');
  await page.waitForSelector(dialog);
}

async function selectByLabel(label: string, value: string): Promise<void> {
  const selectId = await page.evaluate((text) => {
    const found = [...document.querySelectorAll('.export-dialog[open] label')].find((l) =>
      l.textContent?.trim().startsWith(text),
    );
    return found?.getAttribute('for') ?? null;
  }, label);
  expect(selectId, label).not.toBeNull();
  await page.select(`[id="${selectId}"]`, value);
}

/** Clicks the checkbox of the dialog whose label reads `text`. */
async function tick(text: string): Promise<void> {
  const boxes = await page.$$(`${dialog} label.check`);
  for (const box of boxes) {
    if ((await box.evaluate((l) => l.textContent?.trim())) === text) {
      await (await box.$('input'))!.click();
      return;
    }
  }
  throw new Error(`no checkbox labelled ${text}`);
}

async function typeInto(selector: string, text: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.type(selector, text);
}

async function fieldByLabel(label: string): Promise<string> {
  const id = await page.evaluate((text) => {
    const found = [...document.querySelectorAll('.export-dialog[open] label')].find(
      (l) => l.textContent?.trim() === text,
    );
    return found?.getAttribute('for') ?? null;
  }, label);
  expect(id, label).not.toBeNull();
  return `[id="${id}"]`;
}

async function screenshot(name: string, width: number): Promise<void> {
  await page.setViewport({ width, height: width < 600 ? 844 : 900 });
  await new Promise((resolve) => setTimeout(resolve, 150));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
}

async function waitForDownload(): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const done = readdirSync(downloads).filter((f) => f.endsWith('.zip'));
    if (done.length > 0) return join(downloads, done[0]!);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no download arrived');
}

describe('the exports tab', () => {
  it('opens on an empty table, with no serious accessibility problems', async () => {
    await page.waitForSelector('.empty');
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Exports');
    expect(await page.$eval('#project', (s) => (s as HTMLSelectElement).value)).toBe('sample');
    expect(await axeViolations()).toEqual([]);
  });

  let exportId = '';
  const progressSeen: number[] = [];

  it('runs an export made in the dialog, shows its progress and downloads it', async () => {
    await openDialog();
    await selectByLabel('Task', SAMPLE_TASK_IDS.objectDetection);
    // The formats offered are those of GET /formats for an object detection task on images.
    const offered = await page.$$eval(`${await fieldByLabel('Format')} option`, (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    expect(offered).toEqual(
      formatTable()
        .filter((f) => f.taskTypes.includes('object_detection') && f.media.includes('image'))
        .map((f) => f.id),
    );
    await selectByLabel('Format', 'yolo_darknet');
    const ticked = await page.$$eval(`${dialog} .checks input`, (boxes) =>
      boxes.map((b) => [(b as HTMLInputElement).value, (b as HTMLInputElement).checked]),
    );
    expect(ticked).toEqual([
      ['streets', true],
      ['parks', true],
    ]);
    await tick('Split my export into subsets');
    await page.waitForSelector(`${dialog} .subsets`);
    await typeInto('[aria-label="Share of subset 1, percent"]', '70');
    expect(await page.$eval('.split-total', (o) => o.textContent)).toContain('90 %');
    await typeInto('[aria-label="Share of subset 2, percent"]', '30');
    expect(await page.$eval('.split-total', (o) => o.textContent)).toBe('Total 100 %');
    await page.type(await fieldByLabel('Password'), PASSWORD);
    await page.type(await fieldByLabel('Confirm password'), PASSWORD);
    const name = await page.$eval(
      await fieldByLabel('Export name'),
      (i) => (i as HTMLInputElement).value,
    );
    expect(name).toMatch(/^Sample city-Objects-yolo_darknet-\d{8}-\d{4}$/);
    expect(await axeViolations(dialog)).toEqual([]);
    // The person sees the dialog from its top.
    await page.$eval(`${dialog} .dialog-body`, (body) => body.scrollTo(0, 0));
    await screenshot('dialog', 1280);
    await screenshot('dialog', 390);
    await page.setViewport({ width: 1280, height: 900 });

    await page.click(`${dialog} button[type="submit"]`);
    await page.waitForSelector(dialog, { hidden: true });
    // The row is there at once, before any refresh.
    const row = await page.waitForSelector('tbody.export-row');
    exportId = (await row!.evaluate((r) => r.getAttribute('data-export-id')))!;
    expect(await row!.$eval('.name-text', (n) => n.textContent)).toBe(name);
    expect(await row!.$eval('.lock', (l) => l.getAttribute('aria-label'))).toBe(
      'Password-protected (AES-256)',
    );

    // The bar moves as shards finish, every 2 s, until it is full.
    const status = async () =>
      page.$eval(`tbody[data-export-id="${exportId}"]`, (r) => ({
        status: r.getAttribute('data-status'),
        value: Number(r.querySelector('[role="progressbar"]')!.getAttribute('aria-valuenow')),
        width: (r.querySelector('.progress') as HTMLElement).getBoundingClientRect().width,
        cell: (r.querySelector('.status') as HTMLElement).getBoundingClientRect().height,
      }));
    // Queued or running at first: the row came from the POST's answer, before any refresh.
    expect(['QUEUED', 'RUNNING']).toContain((await status()).status);
    const sizes = new Set<string>();
    for (let i = 0; i < 360; i++) {
      const s = await status();
      progressSeen.push(s.value);
      sizes.add(`${s.width}x${s.cell}`);
      if (s.status === 'SUCCEEDED' || s.status === 'FAILED') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const final = await status();
    expect(final.status).toBe('SUCCEEDED');
    expect(final.value).toBe(100);
    expect(progressSeen.every((v, i) => i === 0 || v >= progressSeen[i - 1]!)).toBe(true);
    // No layout jump: the bar and its cell keep their size from the first poll to the last.
    expect([...sizes]).toHaveLength(1);

    // Times are in the browser's time zone.
    const created = await page.$eval(`tbody[data-export-id="${exportId}"] time.created`, (t) => ({
      text: t.textContent,
      iso: t.getAttribute('datetime')!,
    }));
    expect(created.text).toBe(
      new Intl.DateTimeFormat('en-US', {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: TIME_ZONE,
      }).format(new Date(created.iso)),
    );

    await page.click(`tbody[data-export-id="${exportId}"] button[aria-label^="Download"]`);
    const file = await waitForDownload();
    const reader = new ZipReader(new Uint8ArrayReader(new Uint8Array(readFileSync(file))), {
      password: PASSWORD,
    });
    const entries = (await reader.getEntries()).filter((e) => !e.directory);
    // Every entry is encrypted, and the password opens each one (its MAC or CRC is checked).
    expect(entries.every((e) => e.encrypted)).toBe(true);
    for (const entry of entries) await entry.getData!(new Uint8ArrayWriter());
    const zip = { names: entries.map((e) => e.filename) };
    // Darknet reads each image's labels from the .txt beside it, so datasets/ holds those too.
    const images = (subset: string) =>
      zip.names.filter((n) => n.startsWith(`${subset}/datasets/`) && !n.endsWith('.txt'));
    const labels = (subset: string) =>
      zip.names.filter((n) => n.startsWith(`${subset}/annotations/`) && n.endsWith('.txt'));
    const labelsBesideImages = (subset: string) =>
      zip.names.filter((n) => n.startsWith(`${subset}/datasets/`) && n.endsWith('.txt'));
    // 20 items, 70/30: exactly 14 and 6, each image with its YOLO file under annotations/ and beside it.
    expect(images('train')).toHaveLength(14);
    expect(images('val')).toHaveLength(6);
    for (const subset of ['train', 'val']) {
      const stems = (list: string[]) =>
        list
          .map((n) =>
            n
              .split('/')
              .slice(2)
              .join('/')
              .replace(/\.[^.]+$/, ''),
          )
          .sort();
      expect(stems(labels(subset))).toEqual(stems(images(subset)));
      expect(stems(labelsBesideImages(subset))).toEqual(stems(images(subset)));
    }
    const datasetsInZip = new Set(
      images('train')
        .concat(images('val'))
        .map((n) => n.split('/')[2]),
    );
    expect(datasetsInZip.size).toBe(2);
    expect(zip.names).toContain('manifest.json');
    await reader.close();
  });

  it('stops refreshing when no export is moving', async () => {
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect(requests.filter((r) => r.at >= from && r.url.includes('/exports'))).toEqual([]);
  });

  it('shows the API’s problems beside the fields when it refuses a request', async () => {
    await openDialog();
    await selectByLabel('Task', SAMPLE_TASK_IDS.objectDetection);
    await tick('Split my export into subsets');
    await page.waitForSelector(`${dialog} .subsets`);
    // An out-of-date page would send what this one refuses: the request is changed on its way,
    // so that the refusal is the API's own.
    await page.setRequestInterception(true);
    const rewrite = (request: HTTPRequest) => {
      if (request.method() === 'POST' && request.url().endsWith('/exports')) {
        const body = JSON.parse(request.postData()!);
        body.split.subsets[1].percent = 5;
        body.password = 'pässword';
        void request.continue({ postData: JSON.stringify(body) });
      } else void request.continue();
    };
    page.on('request', rewrite);
    try {
      await page.click(`${dialog} button[type="submit"]`);
      await page.waitForSelector(`${dialog} .field-problems`);
    } finally {
      page.off('request', rewrite);
      await page.setRequestInterception(false);
    }
    const problems = await page.$$eval(`${dialog} .field-problems`, (lists) =>
      lists.map((l) => ({
        near: l.closest('fieldset, .field')?.querySelector('legend, label')?.textContent?.trim(),
        text: l.textContent,
      })),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          near: expect.stringMatching(/^Split/),
          text: expect.stringContaining('split.subsets percents must sum to 100, not 85'),
        },
        {
          near: 'Password',
          text: expect.stringContaining('password must be 1-128 printable ASCII characters'),
        },
      ]),
    );
    // The field the problem names is marked and described by it.
    const password = await fieldByLabel('Password');
    expect(await page.$eval(password, (i) => i.getAttribute('aria-invalid'))).toBe('true');
    await screenshot('dialog-refused', 1280);
    await page.setViewport({ width: 1280, height: 900 });
    // Tab stays inside the dialog, all the way round.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      expect(
        await page.evaluate(() => Boolean(document.activeElement?.closest('dialog[open]'))),
      ).toBe(true);
    }
    // Escape closes the dialog; nothing was created.
    await page.keyboard.press('Escape');
    await page.waitForSelector(dialog, { hidden: true });
    expect(await page.$$eval('tbody.export-row', (rows) => rows.length)).toBe(1);
  });

  it('reads well at 1280 and 390 pixels wide', async () => {
    await screenshot('table', 1280);
    await screenshot('table', 390);
    // At 390 px nothing runs off the side: the page never scrolls sideways.
    await page.setViewport({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    await page.setViewport({ width: 1280, height: 900 });
    expect(await axeViolations()).toEqual([]);
  });

  it('starts an export from a task’s action menu with the keyboard alone', async () => {
    await page.click('nav.views a[href$="/tasks"]');
    await page.waitForSelector('table.catalogue');
    await screenshot('tasks', 1280);
    await screenshot('tasks', 390);
    await page.setViewport({ width: 1280, height: 900 });
    const button = `button[aria-label="Actions for task Regions"]`;
    await page.focus(button);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[role="menu"]');
    // The menu opens on its first item.
    await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'menuitem', {
      timeout: 5000,
    });
    expect(await axeViolations()).toEqual([]);
    await page.keyboard.press('Enter');
    await page.waitForSelector(dialog);
    expect(
      await page.$eval(await fieldByLabel('Task'), (s) => (s as HTMLSelectElement).value),
    ).toBe(SAMPLE_TASK_IDS.semanticSegmentation);
    // Masks of a semantic task offer the two kinds that task serves.
    await selectByLabel('Format', 'masks');
    const kinds = await page.$$eval(`${await fieldByLabel('Mask kind')} option`, (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    expect(kinds).toEqual(['aggregated_class', 'individual_class']);
    await page.keyboard.press('Escape');
    await page.waitForSelector(dialog, { hidden: true });
    expect(page.url()).toMatch(/#\/sample\/exports$/);
  });

  it('deletes an export after asking', async () => {
    await page.waitForSelector(`tbody[data-export-id="${exportId}"]`);
    await page.click(`tbody[data-export-id="${exportId}"] button[aria-label^="Delete"]`);
    await page.waitForSelector('.confirm-dialog[open]');
    // The safe answer has the focus.
    await page.waitForFunction(() => document.activeElement?.textContent === 'Cancel', {
      timeout: 5000,
    });
    await page.click('.confirm-dialog .button-danger');
    await page.waitForSelector(`tbody[data-export-id="${exportId}"]`, { hidden: true });
    await page.waitForSelector('.empty');
    const gone = await fetch(`${origin}/projects/sample/exports/${exportId}`);
    expect(gone.status).toBe(404);
  });

  it('asks no host but its own origin, except the archive download it was given', async () => {
    // data: URLs (the empty icon) reach no host.
    const foreign = requests.filter(
      (r) => !r.url.startsWith('data:') && new URL(r.url).origin !== origin,
    );
    for (const r of foreign) {
      expect(new URL(r.url).origin).toBe(service.stack.s3Endpoint);
      expect(r.url).toContain('X-Amz-Signature=');
    }
    expect(foreign).toHaveLength(1);
    expect(existsSync(SCREENSHOTS)).toBe(true);
  });
});
