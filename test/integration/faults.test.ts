import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { runExport } from '../../local/run-export';
import type { LocalEvent } from '../../local/events';
import { deleteKey, listKeys } from '../../shared/aws/s3';
import { TransientError, ValidationError } from '../../shared/errors';
import type { ExportRecord } from '../../shared/exports/record';
import { startTestStack, type TestStack } from '../helpers/local';

/**
 * The state machine's branches driven by faults injected through the local runner's test hook,
 * before the handlers that run exactly as deployed: one behaviour per export, chosen by its name.
 */
let stack: TestStack;
const calls: Array<{ state: string; name: string }> = [];
const faults = new Map<string, (state: string, exportId: string, count: number) => Promise<void>>();
const names = new Map<string, string>();

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of listKeys(stack.s3, stack.config.exportBucket, prefix)) keys.push(key);
  return keys;
}

beforeAll(async () => {
  stack = await startTestStack({
    stepFunctions: {
      // Package times out after 10 seconds here (900 in the ASL), so that a timeout is quick, yet
      // far beyond what packaging the sample takes on a loaded machine.
      taskTimeoutSeconds: { Package: 10 },
      beforeTask: async (state, event) => {
        const { exportId } = event as { exportId: string };
        const name = names.get(exportId) ?? '';
        calls.push({ state, name });
        const count = calls.filter((c) => c.state === state && c.name === name).length;
        await faults.get(name)?.(state, exportId, count);
      },
    },
  });
});

afterAll(async () => {
  await stack?.dispose();
});

async function exportNamed(name: string, type = 'annotations'): Promise<ExportRecord> {
  const request = {
    name,
    type,
    taskId: SAMPLE_TASK_IDS.objectDetection,
    format: 'yolo_darknet',
    password: 'fault-test-password',
  };
  // The name is known before the execution runs: the hook looks it up by export id.
  const original = stack.stepFunctions.start.bind(stack.stepFunctions);
  stack.stepFunctions.start = (id, input) => {
    names.set(id, name);
    return original(id, input);
  };
  try {
    return await runExport(stack, SAMPLE_PROJECT_ID, request);
  } finally {
    stack.stepFunctions.start = original;
  }
}

const attempts = (state: string, name: string) =>
  calls.filter((c) => c.state === state && c.name === name).length;

async function leftBehind(record: ExportRecord): Promise<string[]> {
  return [
    ...(await keysUnder(`work/${record.id}/`)),
    ...(await keysUnder(`secrets/${record.id}`)),
    ...(await keysUnder(`exports/${record.projectId}/${record.id}/`)).filter((k) =>
      k.endsWith('.zip'),
    ),
  ];
}

function eventsOf(record: ExportRecord): LocalEvent[] {
  return readFileSync(stack.eventBus.file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LocalEvent)
    .filter((e) => (e.detail as { exportId: string }).exportId === record.id);
}

describe('the state machine under injected faults', () => {
  it('retries a TransientError and then succeeds', async () => {
    faults.set('transient', async (state, _id, count) => {
      if (state === 'Render' && count <= 2) throw new TransientError('S3 answered 503 (injected)');
    });
    const record = await exportNamed('transient');
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    expect(attempts('Render', 'transient')).toBeGreaterThan(2);
    expect(eventsOf(record).map((e) => e['detail-type'])).toEqual(['Export Succeeded']);
  });

  it('records a ValidationError as it is, without a retry', async () => {
    faults.set('invalid', async (state) => {
      if (state === 'Plan') throw new ValidationError('items.jsonl line 2: unknown class 99');
    });
    const record = await exportNamed('invalid');
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({
      code: 'ValidationError',
      message: 'items.jsonl line 2: unknown class 99',
    });
    expect(attempts('Plan', 'invalid')).toBe(1);
    expect(attempts('Render', 'invalid')).toBe(0);
    expect(await leftBehind(record)).toEqual([]);
    const [event] = eventsOf(record);
    expect(event).toMatchObject({
      'detail-type': 'Export Failed',
      detail: { status: 'FAILED', reason: { code: 'ValidationError' }, bytes: null },
    });
  });

  it('records a Task timeout with its own reason, naming the execution', async () => {
    let slept: Promise<unknown> = Promise.resolve();
    faults.set('slow', async (state) => {
      if (state !== 'Package') return;
      slept = new Promise((resolve) => setTimeout(resolve, 12_000));
      await slept;
    });
    const record = await exportNamed('slow');
    expect(record.status).toBe('FAILED');
    expect(record.error?.code).toBe('Timeout');
    expect(record.error?.message).toMatch(/time limit/);
    expect(record.error?.message).toContain(`execution:annotation-export:${record.id}`);
    expect(record.archive).toBeNull();
    // The timed-out step runs on (as a Lambda does) and finds its export closed; it ends here.
    await slept;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await leftBehind(record)).toEqual([]);
  });

  it('leaves no archive, upload, staged work or password when package fails half-way', async () => {
    faults.set('broken', async (state, exportId) => {
      // A shard's segment vanishes: package fails while it stitches the archive from them.
      if (state !== 'Package') return;
      const segments = (await keysUnder(`work/${exportId}/segments/`)).filter((k) =>
        k.endsWith('.zip'),
      );
      await deleteKey(stack.s3, stack.config.exportBucket, segments[segments.length - 1]!);
    });
    const record = await exportNamed('broken', 'both');
    expect(record.status).toBe('FAILED');
    expect(record.error?.message).toMatch(/segments\/\d+\.zip does not exist/);
    expect(record.archive).toBeNull();
    expect(await leftBehind(record)).toEqual([]);
    expect(eventsOf(record).map((e) => e['detail-type'])).toEqual(['Export Failed']);
  });
});
