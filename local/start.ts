/**
 * `npm start`: the whole service on this machine until Ctrl-C (DESIGN §13) — the S3 server, the
 * state machine runner, the REST API over HTTP on 127.0.0.1 with a dev identity that may touch
 * every project, and the S3 trigger for request objects. Seeds the sample project into an empty
 * store. `--port` (or PORT) sets the API's port, `--data` the S3 server's directory.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { S3Event } from 'aws-lambda';
import { handler as apiHandler } from '../functions/api/handler';
import { handler as s3RequestHandler } from '../functions/s3-request/handler';
import { listKeys } from '../shared/aws/s3';
import { buildWeb, configFile, contentSecurityPolicy } from '../web/build';
import { invokeScoped } from './lambda-runtime';
import { startApiServer, type LocalApiServer } from './api-server';
import { ENDPOINTS_FILE, type LocalEndpoints } from './endpoints';
import { lambdaContext } from './lambda-context';
import { seedSampleProject } from './sample';
import type { S3EventRecord } from './s3-server';
import { startLocalStack, type LocalStack, type LocalStackOptions } from './stack';

export interface LocalService {
  stack: LocalStack;
  api: LocalApiServer;
  /** Settles once every request object written so far has been handled. */
  triggersSettled(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalServiceOptions extends LocalStackOptions {
  port?: number;
  /** Seed the sample project when the store holds no project (default true). */
  seed?: boolean;
  log?: (line: string) => void;
}

/** An S3 notification as the s3-request function receives it: keys URL-encoded, spaces as `+`. */
function notification(record: S3EventRecord): S3Event {
  const key = encodeURIComponent(record.s3.object.key).replace(/%2F/g, '/').replace(/%20/g, '+');
  return {
    Records: [
      {
        ...record,
        eventTime: (record as { eventTime?: string }).eventTime ?? new Date().toISOString(),
        s3: { ...record.s3, object: { ...record.s3.object, key } },
      },
    ],
  } as unknown as S3Event;
}

export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const log = options.log ?? (() => undefined);
  const stack = await startLocalStack({
    onInterrupted: (ids) => log(`closed ${ids.length} export(s) interrupted by the last stop`),
    ...options,
  });
  const pending = new Set<Promise<unknown>>();
  stack.s3Server.onEvent((record) => {
    const key = record.s3.object.key;
    if (
      record.s3.bucket.name !== stack.config.dataBucket ||
      !record.eventName.startsWith('ObjectCreated:') ||
      !key.startsWith('requests/')
    )
      return;
    const requestId = `local-${randomUUID()}`;
    const run = (
      invokeScoped(requestId, () =>
        s3RequestHandler(
          notification(record),
          lambdaContext('s3-request', { requestId, timeoutMs: 60_000 }),
        ),
      ) as Promise<Array<{ request: string; status: string } | null>>
    ).then(
      (outcomes) => {
        for (const o of outcomes) if (o) log(`request ${o.request}: ${o.status}`);
      },
      (error: unknown) => log(`request ${key} failed: ${(error as Error).message}`),
    );
    pending.add(run);
    void run.finally(() => pending.delete(run));
  });
  if (options.seed ?? true) {
    let empty = true;
    for await (const _ of listKeys(stack.s3, stack.config.dataBucket, 'projects/')) {
      empty = false;
      break;
    }
    if (empty) {
      const sample = await seedSampleProject(stack.s3, stack.config.dataBucket);
      log(`seeded the sample project "${sample.project.id}"`);
    }
  }
  const api = await startApiServer(apiHandler, { port: options.port ?? 0, site: localSite() });
  return {
    stack,
    api,
    async triggersSettled() {
      await stack.s3Server.settled();
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async stop() {
      await api.close();
      await stack.s3Server.settled();
      while (pending.size > 0) await Promise.all([...pending]);
      await stack.stop();
    },
  };
}

/**
 * The exports tab on the API's own origin, with the security headers CloudFront sends deployed.
 * No sign-in: the local dev identity needs no token.
 */
export function localSite() {
  return {
    files: [...buildWeb(), configFile({ apiBase: '', auth: null })],
    headers: {
      'content-security-policy': contentSecurityPolicy(),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      'shard-items': { type: 'string' },
    },
  });
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, not ${values.port ?? process.env.PORT}`);
  const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const service = await startLocalService({
    port,
    directory: values.data ?? '.local/s3',
    ...(values['shard-items'] ? { shardItems: Number(values['shard-items']) } : {}),
    log,
  });
  const endpoints: LocalEndpoints = {
    api: service.api.url,
    s3: service.stack.s3Endpoint,
    stepFunctions: service.stack.sfnEndpoint,
    dataBucket: service.stack.config.dataBucket,
    exportBucket: service.stack.config.exportBucket,
  };
  await mkdir(dirname(resolve(ENDPOINTS_FILE)), { recursive: true });
  await writeFile(ENDPOINTS_FILE, JSON.stringify(endpoints, null, 2));
  console.log(`annotation-export is running locally (Ctrl-C stops it)
  Web page        ${endpoints.api}/   (the exports tab)
  API             ${endpoints.api}   (dev identity: admin of every project)
  S3              ${endpoints.s3}   buckets ${endpoints.dataBucket}, ${endpoints.exportBucket}
  Step Functions  ${endpoints.stepFunctions}
  request objects s3://${endpoints.dataBucket}/requests/{projectId}/{name}.json

try: npm run cli -- create --project sample --task detect-objects --format coco --wait`);

  let stopping = false;
  const stop = () => {
    if (stopping) {
      console.log('stopping now');
      process.exit(130);
    }
    stopping = true;
    console.log('\nstopping (waiting for running exports; Ctrl-C again to quit at once)');
    void service
      .stop()
      // A stale file would point the CLI at a port nothing listens on.
      .then(() => rm(ENDPOINTS_FILE, { force: true }))
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
