import chromium from '@sparticuz/chromium';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

/**
 * Headless Chromium from the @sparticuz/chromium package (the browser ships inside the npm package,
 * so nothing is downloaded at run time), in a fresh profile with every background service off:
 * the only requests it makes are the page's.
 */
export async function launchBrowser(): Promise<{ browser: Browser; profile: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'annotation-export-browser-'));
  const browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
      '--no-first-run',
      '--no-default-browser-check',
      '--lang=en-US',
      `--user-data-dir=${profile}`,
    ],
  });
  return { browser, profile };
}
