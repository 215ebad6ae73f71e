import type { AnnounceDeps } from '../exports/announce';
import { tracer } from '../observability/index';
import type { PipelineDeps } from '../pipeline/work';
import { readConfig } from './config';
import { createEventsClient } from './events';
import { createS3Client } from './s3';

let cached: { key: string; deps: PipelineDeps } | undefined;

/**
 * The stage functions' dependencies, built once per container from the environment (again only if
 * the environment changes, as when a test process starts a second local stack). The S3 client is
 * traced: each call is a subsegment of the function's trace.
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
        s3: tracer.captureAWSv3Client(createS3Client()),
        dataBucket: config.dataBucket,
        exportBucket: config.exportBucket,
        shardItems: config.shardItems,
      },
    };
  }
  return cached.deps;
}

let announcing: { key: string; deps: AnnounceDeps } | undefined;

/**
 * Where ended exports are announced: EVENT_BUS_NAME (the account's default bus if unset), and the
 * data bucket's request status objects.
 */
export function announceDeps(env: NodeJS.ProcessEnv = process.env): AnnounceDeps {
  const eventBusName = env.EVENT_BUS_NAME || 'default';
  const config = readConfig(env);
  const key = JSON.stringify([
    eventBusName,
    config.dataBucket,
    env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? env.AWS_ENDPOINT_URL ?? '',
    env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? '',
  ]);
  if (announcing?.key !== key) {
    announcing = {
      key,
      deps: {
        events: tracer.captureAWSv3Client(createEventsClient(env)),
        eventBusName,
        s3: tracer.captureAWSv3Client(createS3Client(env)),
        dataBucket: config.dataBucket,
      },
    };
  }
  return announcing.deps;
}
