import { S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/client';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS } from '../../local/endpoints';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { listKeys } from '../../shared/aws/s3';
import { recordKeys } from '../../shared/exports/record';
import { workKeys } from '../../shared/pipeline/work';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const P = SAMPLE_PROJECT_ID;

const children: ChildProcess[] = [];
const directories: string[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** A process of the local stack, with each line it prints. */
function launch(args: string[], cwd: string) {
  const child = spawn(TSX, args, {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters.splice(0)) {
      if (waiter.test(line)) waiter.resolve(line);
      else waiters.push(waiter);
    }
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    lines,
    exited,
    /** The first line (printed so far or later) that matches. */
    line(test: RegExp): Promise<string> {
      const seen = lines.find((l) => test.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise<string>((found, fail) => {
        waiters.push({ test: (l) => test.test(l), resolve: found });
        void exited.then((code) => fail(new Error(`exited (${code}) before "${test}": ${stderr}`)));
      });
    },
  };
}

function s3At(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function keysUnder(s3: S3Client, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of listKeys(s3, LOCAL_BUCKETS.exports, prefix)) keys.push(key);
  return keys;
}

describe('the local stack killed mid-export', () => {
  it('closes the export as FAILED (interrupted) on restart: deletable, no staged work, no password', async () => {
    const data = mkdtempSync(join(tmpdir(), 'annotation-export-killed-'));
    const cwd = mkdtempSync(join(tmpdir(), 'annotation-export-cwd-'));
    directories.push(data, cwd);

    // 1. A stack whose Package step never ends, in its own process.
    const first = launch([join(ROOT, 'test/helpers/stalled-service.ts'), data], cwd);
    const ready = JSON.parse(await first.line(/^\{"api"/)) as { api: string; s3: string };
    const created = await new ApiClient(ready.api).create(P, {
      type: 'both',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
      password: 'kill me softly',
    });
    await first.line(/"stalled":"Package"/);
    const before = s3At(ready.s3);
    expect((await new ApiClient(ready.api).get(P, created.id)).status).toBe('RUNNING');
    expect(await keysUnder(before, recordKeys.secret(created.id))).toHaveLength(1);
    expect((await keysUnder(before, workKeys.root(created.id))).length).toBeGreaterThan(0);
    before.destroy();

    // 2. Killed, as a crash or `kill -9` would: nothing runs its shutdown.
    first.child.kill('SIGKILL');
    await first.exited;

    // 3. `npm start`'s entry on the same data directory.
    const second = launch([join(ROOT, 'local/start.ts'), '--port', '0', '--data', data], cwd);
    const apiUrl = /API\s+(http:\/\/\S+)/.exec(await second.line(/^\s+API\s+http/))![1]!;
    const s3Url = /S3\s+(http:\/\/\S+)/.exec(await second.line(/^\s+S3\s+http/))![1]!;
    expect(second.lines.some((l) => /closed 1 export\(s\) interrupted/.test(l))).toBe(true);
    const api = new ApiClient(apiUrl);
    const after = s3At(s3Url);

    const view = await api.get(P, created.id);
    expect(view.status).toBe('FAILED');
    expect(view.error).toMatchObject({ code: 'Interrupted' });
    expect(view.error!.message).toMatch(/interrupted/);
    expect(view.error!.message).toContain(created.id);
    expect(view.finished_at).not.toBeNull();
    const row = (await api.list(P)).items.find((r) => r.id === created.id);
    expect(row?.status).toBe('FAILED');
    expect(await keysUnder(after, workKeys.root(created.id))).toEqual([]);
    expect(await keysUnder(after, recordKeys.secret(created.id))).toEqual([]);
    expect(await keysUnder(after, 'secrets/')).toEqual([]);

    await api.delete(P, created.id);
    expect(await keysUnder(after, `${recordKeys.prefix(P)}${created.id}/`)).toEqual([]);
    after.destroy();

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
