import type { PipelineDeps } from '../pipeline/work';
import { readConfig } from './config';
import { createS3Client } from './s3';

let cached: { key: string; deps: PipelineDeps } | undefined;

/**
 * The stage functions' dependencies, built once per container from the environment (again only if
 * the environment changes, as when a test process starts a second local stack).
 */
export function pipelineDeps(): PipelineDeps {
  const config = readConfig();
  const key = JSON.stringify([
    config,
    process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? '',
  ]);
  if (cached?.key !== key) {
    cached = {
      key,
      deps: {
        s3: createS3Client(),
        dataBucket: config.dataBucket,
        exportBucket: config.exportBucket,
        shardItems: config.shardItems,
      },
    };
  }
  return cached.deps;
}
