import type { AnnounceDeps } from '../exports/announce';
import type { StartDeps } from '../exports/start';
import { tracer } from '../observability/index';
import type { PipelineDeps } from '../pipeline/work';
import { clientConfig } from './clients';
import { readConfig } from './config';
import { createEventsClient } from './events';
import { createS3Client } from './s3';
import { createSfnClient } from './sfn';

/**
 * A function's dependencies, built once per container from the environment and again only when
 * what they are built from changes, as when a test process starts a second local stack. `read`
 * takes from the environment all that the dependencies depend on, the clients' settings included
 * (and fails fast on what is missing); `build` makes them from that.
 */
export function cachedPerEnvironment<Inputs, Deps>(
  read: (env: NodeJS.ProcessEnv) => Inputs,
  build: (inputs: Inputs, env: NodeJS.ProcessEnv) => Deps,
): (env?: NodeJS.ProcessEnv) => Deps {
  let cached: { key: string; deps: Deps } | undefined;
  return (env = process.env) => {
    const inputs = read(env);
    const key = JSON.stringify(inputs);
    if (cached?.key !== key) cached = { key, deps: build(inputs, env) };
    return cached.deps;
  };
}

/** The stage functions' dependencies. The S3 client is traced: each call is a subsegment. */
export const pipelineDeps: (env?: NodeJS.ProcessEnv) => PipelineDeps = cachedPerEnvironment(
  (env) => ({ config: readConfig(env), s3: clientConfig('S3', env) }),
  ({ config }, env) => ({
    s3: tracer.captureAWSv3Client(createS3Client(env)),
    dataBucket: config.dataBucket,
    exportBucket: config.exportBucket,
    shardItems: config.shardItems,
  }),
);

/**
 * Where ended exports are announced: EVENT_BUS_NAME (the account's default bus if unset), and the
 * data bucket's request status objects.
 */
export const announceDeps: (env?: NodeJS.ProcessEnv) => AnnounceDeps = cachedPerEnvironment(
  (env) => ({
    eventBusName: env.EVENT_BUS_NAME || 'default',
    dataBucket: readConfig(env).dataBucket,
    events: clientConfig('EVENTBRIDGE', env),
    s3: clientConfig('S3', env),
  }),
  ({ eventBusName, dataBucket }, env) => ({
    events: tracer.captureAWSv3Client(createEventsClient(env)),
    eventBusName,
    s3: tracer.captureAWSv3Client(createS3Client(env)),
    dataBucket,
  }),
);

/** What the functions that start and show exports (api, s3-request) need. */
export const startDeps: (env?: NodeJS.ProcessEnv) => StartDeps = cachedPerEnvironment(
  (env) => {
    const config = readConfig(env);
    if (!config.stateMachineArn)
      throw new Error('missing environment variables: STATE_MACHINE_ARN');
    return { config, s3: clientConfig('S3', env), sfn: clientConfig('SFN', env) };
  },
  ({ config }, env) => ({
    s3: tracer.captureAWSv3Client(createS3Client(env)),
    sfn: tracer.captureAWSv3Client(createSfnClient(env)),
    dataBucket: config.dataBucket,
    exportBucket: config.exportBucket,
    stateMachineArn: config.stateMachineArn,
    retentionDays: config.exportRetentionDays,
  }),
);
