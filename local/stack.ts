import { SFNClient } from '@aws-sdk/client-sfn';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../shared/aws/s3';
import { readConfig, type Config } from '../shared/aws/config';
import type { StartDeps } from '../shared/exports/start';
import { LocalEventBus, LOCAL_EVENTS_FILE } from './events';
import { closeInterruptedExports } from '../shared/exports/lifecycle';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS } from './endpoints';
import { startS3Server, type LocalS3 } from './s3-server';
import {
  LOCAL_STATE_MACHINE_ARN,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
} from './step-functions';

export interface LocalStack {
  s3Endpoint: string;
  sfnEndpoint: string;
  config: Config;
  s3: S3Client;
  sfn: SFNClient;
  s3Server: LocalS3;
  stepFunctions: LocalStepFunctions;
  /** The default event bus: the events put so far are the lines of `eventBus.file`. */
  eventBus: LocalEventBus;
  /** What startExport needs, pointed at this stack. */
  startDeps(): StartDeps;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Where the S3 server keeps its data (default `.local/s3`). */
  directory?: string;
  s3Port?: number;
  sfnPort?: number;
  shardItems?: number;
  /**
   * Where the events of ended exports are written, one JSON line each: `.local/events.jsonl`,
   * or `{directory}-events.jsonl` beside a data directory given.
   */
  eventsFile?: string;
  /** Tests only: hooks of the state machine runner. */
  stepFunctions?: LocalStepFunctionsOptions;
  /** Called with the ids of the exports a previous run left QUEUED or RUNNING, once closed. */
  onInterrupted?: (exportIds: string[]) => void;
}

/**
 * The embedded stack (DESIGN §13): the S3 server and the state machine runner on 127.0.0.1, and
 * this process's environment pointed at them exactly as a Lambda's would be at AWS or LocalStack,
 * so that the handlers run unchanged. Exports that a killed earlier run left unfinished are
 * closed as FAILED (interrupted) before anything starts.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const s3Server = await startS3Server(options.directory ?? '.local/s3', options.s3Port ?? 0);
  const stepFunctions = new LocalStepFunctions(options.stepFunctions);
  const sfnEndpoint = await stepFunctions.listen(options.sfnPort ?? 0);
  const eventBus = new LocalEventBus(
    options.eventsFile ??
      (options.directory === undefined ? LOCAL_EVENTS_FILE : `${options.directory}-events.jsonl`),
  );
  const eventsEndpoint = await eventBus.listen();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL: s3Server.endpoint,
    AWS_ENDPOINT_URL_S3: s3Server.endpoint,
    AWS_ENDPOINT_URL_SFN: sfnEndpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventsEndpoint,
    // Powertools as the stack configures it, with no X-Ray daemon to send traces to.
    POWERTOOLS_TRACE_ENABLED: 'false',
    DATA_BUCKET: LOCAL_BUCKETS.data,
    EXPORT_BUCKET: LOCAL_BUCKETS.exports,
    STATE_MACHINE_ARN: LOCAL_STATE_MACHINE_ARN,
    SHARD_ITEMS: String(options.shardItems ?? 500),
  });
  delete process.env.AWS_PROFILE;
  const config = readConfig();
  const s3 = createS3Client();
  const sfn = new SFNClient({ endpoint: sfnEndpoint });
  // The runner keeps its executions in memory: whatever a previous run of this data directory
  // left running was interrupted, and its password and staged work must not stay.
  const interrupted = await closeInterruptedExports({
    s3,
    exportBucket: config.exportBucket,
    stateMachineArn: config.stateMachineArn,
  });
  if (interrupted.length > 0) options.onInterrupted?.(interrupted);
  return {
    s3Endpoint: s3Server.endpoint,
    sfnEndpoint,
    config,
    s3,
    sfn,
    s3Server,
    stepFunctions,
    eventBus,
    startDeps: () => ({
      s3,
      sfn,
      dataBucket: config.dataBucket,
      exportBucket: config.exportBucket,
      stateMachineArn: config.stateMachineArn,
    }),
    async stop() {
      await stepFunctions.close();
      await eventBus.close();
      s3.destroy();
      sfn.destroy();
      await s3Server.close();
    },
  };
}
