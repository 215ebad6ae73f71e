import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleProject, seedSampleProject, type SampleProject } from '../../local/sample';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';

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
  const stack = await startLocalStack({ directory, shardItems: 5, ...options });
  const sample = await seedSampleProject(stack.s3, stack.config.dataBucket, buildSampleProject());
  return Object.assign(stack, {
    sample,
    async dispose() {
      await stack.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  });
}
