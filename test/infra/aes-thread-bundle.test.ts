import { execSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundleAesThreadCommand,
  bundleCommand,
  ESM_REQUIRE_BANNER,
} from '../../infra/constructs/export-function';
import { AES_THREAD_FILE } from '../../shared/archive/aes-worker';
import { openZip } from '../helpers/zip';
import { REPO_ROOT } from './synth';

const PASSWORD = 'bundle-Password-1';
const SIZE = 3 * 1024 * 1024 + 7;

/** `node index.mjs` in the bundle's folder, with nothing of this process's loaders. */
function runBundle(dir: string, zip: string) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, ['index.mjs', zip, PASSWORD, String(SIZE)], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
}

describe('the AES thread in a function bundle', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aes-bundle-'));
    // Bundled as ExportFunction bundles a handler and its AES thread.
    execSync(
      bundleCommand(join(REPO_ROOT, 'test/infra/aes-bundle-entry.ts'), join(dir, 'index.mjs')),
    );
    execSync(bundleAesThreadCommand(dir));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is started by the bundled handler in a plain node process; the entry opens with the password', async () => {
    const bundle = await readFile(join(dir, 'index.mjs'), 'utf8');
    expect(bundle.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    const run = runBundle(dir, join(dir, 'out.zip'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const zip = await openZip(await readFile(join(dir, 'out.zip')), PASSWORD);
    const bytes = await zip.bytes('data.bin');
    await zip.close();
    expect(bytes.length).toBe(SIZE);
    const expected = Buffer.alloc(SIZE);
    for (let i = 0; i < SIZE; i++) expected[i] = (i * 7919) % 251;
    expect(Buffer.from(bytes).equals(expected)).toBe(true);
  });

  it('fails the archive when the thread file is not beside the handler', async () => {
    await rm(join(dir, AES_THREAD_FILE));
    const run = runBundle(dir, join(dir, 'missing.zip'));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(AES_THREAD_FILE);
  });
});
