import type { MiddlewareObj, Request } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { ERROR_TABLE } from '../errors';
import { logger, metrics, tracer, METRIC, MetricUnit, countWith } from './index';

/** The ids that tie every line, metric and trace of an export together. Never anything secret. */
export interface Correlation {
  exportId?: string;
  projectId?: string;
  requestId?: string;
}

const startedAt = new WeakMap<object, number>();

/** The error as a log shows it: name and message (ours are user-facing), never the request. */
export function errorFields(error: unknown): { name: string; message: string } {
  const e = error as { name?: unknown; message?: unknown } | undefined;
  return { name: String(e?.name ?? 'Error'), message: String(e?.message ?? error) };
}

function correlate(keys: Correlation): void {
  const present = Object.fromEntries(
    Object.entries(keys).filter(([, value]) => typeof value === 'string' && value !== ''),
  ) as Record<string, string>;
  logger.appendKeys(present);
  for (const [key, value] of Object.entries(present)) tracer.putAnnotation(key, value);
}

/**
 * Powertools for every function, in the order middy needs: the Lambda context and correlation
 * keys on each line (reset after each invocation), a traced handler whose response stays out of
 * the trace, metrics flushed as one EMF blob when the handler ends.
 */
function powertools(): MiddlewareObj[] {
  return [
    injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj,
    ...(tracer.powertools
      ? [captureLambdaHandler(tracer.powertools, { captureResponse: false }) as MiddlewareObj]
      : []),
    logMetrics(metrics, { captureColdStartMetric: true }) as MiddlewareObj,
  ];
}

/**
 * A stage of the state machine (plan, render, masks, package, record-failure): its lines carry
 * the stage, exportId and projectId; the seconds it took are a metric by stage; a failure is
 * logged with its name and counted.
 */
export function observeStage(stage: string): MiddlewareObj[] {
  const finish = (request: Request, error?: unknown) => {
    const seconds = (Date.now() - (startedAt.get(request) ?? Date.now())) / 1000;
    metrics.addDimension('stage', stage);
    metrics.addMetric(METRIC.stageSeconds, MetricUnit.Seconds, seconds);
    if (error === undefined) {
      logger.info('stage finished', { durationMs: Math.round(seconds * 1000) });
      return;
    }
    metrics.addMetric(METRIC.stageErrors, MetricUnit.Count, 1);
    logger.error('stage failed', {
      durationMs: Math.round(seconds * 1000),
      error: errorFields(error),
    });
  };
  return [
    ...powertools(),
    {
      before: (request) => {
        const event = (request.event ?? {}) as Correlation;
        correlate({ exportId: event.exportId, projectId: event.projectId });
        logger.appendKeys({ stage });
        tracer.putAnnotation('stage', stage);
        startedAt.set(request, Date.now());
        logger.info('stage started');
      },
      after: (request) => finish(request),
      onError: (request) => {
        // Step Functions passes on only an error's name and message: an internal error's message
        // carries the request id, so that its record names the log lines to read.
        const error = request.error as Error | undefined;
        if (error && !(error.name in ERROR_TABLE) && !/\(request [\w-]+\)$/.test(error.message))
          error.message = `${error.message} (request ${request.context.awsRequestId})`;
        finish(request, error);
      },
    },
  ];
}

/** Adds correlation keys once the handler knows them (an export id made by this invocation). */
export function addCorrelation(keys: Correlation): void {
  correlate(keys);
}

interface ApiEventLike {
  httpMethod?: string;
  resource?: string;
  path?: string;
  pathParameters?: Record<string, string | undefined> | null;
  requestContext?: { requestId?: string };
}
interface ApiResponseLike {
  statusCode?: number;
  headers?: Record<string, unknown>;
  body?: string;
}

const EXPORTS_TABLE = '/projects/{projectId}/exports';
interface ExportsPage {
  items?: Array<{ status?: string; created_at?: string }>;
}

/**
 * The age of the oldest QUEUED export on a page of the exports table (the web page polls it while
 * an export runs), so that an export whose execution never starts raises the queue alarm.
 */
function reportOldestQueued(page: ExportsPage): void {
  const queued = (page.items ?? [])
    .filter((row) => row.status === 'QUEUED' && row.created_at)
    .map((row) => Date.parse(row.created_at!));
  if (queued.length === 0) return;
  const seconds = Math.max(0, (Date.now() - Math.min(...queued)) / 1000);
  countWith(METRIC.oldestQueuedSeconds, {}, seconds, MetricUnit.Seconds);
}

/**
 * The REST API: each request's lines carry API Gateway's request id (the one a 500 shows the
 * caller) and the project and export of its path; 4xx and 5xx answers are counted by route (the
 * resource template, never the ids in the path); a new export counts as started by format.
 * Must be used before the middleware that turns errors into responses, whose answer it counts.
 */
export function observeApi(): MiddlewareObj[] {
  const route = (event: ApiEventLike) =>
    `${event.httpMethod ?? '?'} ${event.resource ?? event.path ?? '?'}`;
  const count = (request: Request) => {
    const event = (request.event ?? {}) as ApiEventLike;
    const response = (request.response ?? {}) as ApiResponseLike;
    const status = response.statusCode ?? 500;
    const durationMs = Date.now() - (startedAt.get(request) ?? Date.now());
    metrics.addDimension('route', route(event));
    metrics.addMetric(METRIC.apiRequests, MetricUnit.Count, 1);
    if (status >= 500) metrics.addMetric(METRIC.api5xx, MetricUnit.Count, 1);
    else if (status >= 400) metrics.addMetric(METRIC.api4xx, MetricUnit.Count, 1);
    if (status === 200 && event.httpMethod === 'GET' && event.resource === EXPORTS_TABLE) {
      reportOldestQueued(JSON.parse(response.body ?? '{}') as ExportsPage);
    }
    if (status === 202 && response.headers?.['idempotent-replayed'] === undefined) {
      const created = JSON.parse(response.body ?? '{}') as { id?: string; format?: string | null };
      addCorrelation({ exportId: created.id });
      countWith(METRIC.exportsStarted, { format: created.format ?? 'datasets' });
    }
    logger.info('request finished', { route: route(event), status, durationMs });
  };
  return [
    ...powertools(),
    {
      before: (request) => {
        const event = (request.event ?? {}) as ApiEventLike;
        correlate({
          requestId: event.requestContext?.requestId,
          projectId: event.pathParameters?.projectId,
          exportId: event.pathParameters?.exportId,
        });
        startedAt.set(request, Date.now());
      },
      after: count,
      onError: count,
    },
  ];
}

/** The S3 trigger: lines carry the project of the request object; each started export counts. */
export function observeRequestObjects(): MiddlewareObj[] {
  return [
    ...powertools(),
    {
      before: (request) => {
        const records = (
          request.event as { Records?: Array<{ s3?: { object?: { key?: string } } }> }
        ).Records;
        const key = decodeURIComponent(records?.[0]?.s3?.object?.key ?? '');
        const [prefix, projectId] = key.split('/');
        if (prefix === 'requests') correlate({ projectId });
        metrics.addMetric(METRIC.requestObjects, MetricUnit.Count, records?.length ?? 0);
      },
    },
  ];
}
