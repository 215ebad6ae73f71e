import { readConfig } from '../aws/config';
import { createS3Client } from '../aws/s3';
import { createSfnClient } from '../aws/sfn';
import { tracer } from '../observability/index';
import type { StartDeps } from './start';

let cached: { key: string; deps: StartDeps } | undefined;

/**
 * What the functions that start and show exports (api, s3-request) need, built once per container
 * from the environment — again only when the environment changes, as when a test process starts a
 * second local stack. AWS_ENDPOINT_URL_SFN points at LocalStack or the local Step Functions.
 */
export function startDepsFromEnv(env: NodeJS.ProcessEnv = process.env): StartDeps {
  const config = readConfig(env);
  if (!config.stateMachineArn) throw new Error('missing environment variables: STATE_MACHINE_ARN');
  const sfnEndpoint = env.AWS_ENDPOINT_URL_SFN ?? env.AWS_ENDPOINT_URL;
  const key = JSON.stringify([
    config,
    env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? '',
    sfnEndpoint ?? '',
  ]);
  if (cached?.key !== key) {
    cached = {
      key,
      deps: {
        s3: tracer.captureAWSv3Client(createS3Client(env)),
        sfn: tracer.captureAWSv3Client(createSfnClient(env)),
        dataBucket: config.dataBucket,
        exportBucket: config.exportBucket,
        stateMachineArn: config.stateMachineArn,
        retentionDays: config.exportRetentionDays,
      },
    };
  }
  return cached.deps;
}
