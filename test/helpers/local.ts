import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readArchive, runExport } from '../../local/run-export';
import {
  buildSampleProject,
  SAMPLE_PROJECT_ID,
  seedSampleProject,
  type SampleProject,
} from '../../local/sample';
import type { ExportRecord } from '../../shared/exports/record';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';
import { openZip, type OpenedZip } from './zip';

export interface TestStack extends LocalStack {
  sample: SampleProject;
  /** Stops the stack and removes its data directory. */
  dispose(): Promise<void>;
}

/**
 * A local stack in a fresh temporary directory with the sample project seeded. Small shards by
 * default so that every test run exercises the per-shard merge.
 */
export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const directory = mkdtempSync(join(tmpdir(), 'annotation-export-'));
  const eventsFile = `${directory}-events.jsonl`;
  const stack = await startLocalStack({ directory, shardItems: 5, eventsFile, ...options });
  const sample = await seedSampleProject(stack.s3, stack.config.dataBucket, buildSampleProject());
  return Object.assign(stack, {
    sample,
    async dispose() {
      await stack.stop();
      rmSync(directory, { recursive: true, force: true });
      rmSync(eventsFile, { force: true });
    },
  });
}

/**
 * Runs an export of the sample project that must succeed and opens its archive with an independent
 * zip reader; the failure message carries the export's own reason.
 */
export async function succeededExport(
  stack: TestStack,
  request: Record<string, unknown>,
): Promise<{ record: ExportRecord; zip: OpenedZip }> {
  const record = await runExport(stack, SAMPLE_PROJECT_ID, request);
  expect(record.status, record.error?.message).toBe('SUCCEEDED');
  return { record, zip: await openZip(await readArchive(stack, record)) };
}
