import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The one logger, metrics emitter and tracer of every function (Powertools for AWS Lambda).
 * Their state (correlation keys, pending metrics) is per invocation: the Lambda runtime scopes it,
 * and the local stack runs each handler call in an invocation scope of its own the same way.
 *
 * Settings come from Powertools' own environment variables, which the stack sets:
 * POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL,
 * POWERTOOLS_LOGGER_SAMPLE_RATE (the share of invocations that log at DEBUG) and
 * POWERTOOLS_TRACE_ENABLED (tracing is off outside Lambda whatever it says, see `tracer`).
 */
export const SERVICE_NAME = 'annotation-export';
export const METRICS_NAMESPACE = 'AnnotationExport';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
});
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
});

/**
 * Whether this process traces, by Powertools' own rule: in a Lambda execution environment (not
 * SAM's or Amplify's mock of one) unless POWERTOOLS_TRACE_ENABLED is false.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const executionEnv = env.AWS_EXECUTION_ENV ?? '';
  return (
    env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false' &&
    executionEnv !== '' &&
    executionEnv !== 'AWS_Lambda_amplify-mock' &&
    (env.AWS_SAM_LOCAL ?? '') === ''
  );
}

/**
 * Powertools' tracer, loaded only where it traces: the X-Ray SDK, once loaded, tracks every
 * promise of the process through an async hook with a destroy callback (cls-hooked), which took
 * a seventh of the local stack's CPU in an export without tracing anything (BENCHMARKS.md, Scale).
 */
const powertoolsTracer: Tracer | undefined = tracingEnabled()
  ? new (await import('@aws-lambda-powertools/tracer')).Tracer({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
    })
  : undefined;

/** What the functions trace: annotations, AWS clients' calls, each handler's invocation. */
export const tracer = {
  powertools: powertoolsTracer,
  putAnnotation(key: string, value: string): void {
    powertoolsTracer?.putAnnotation(key, value);
  },
  /** The client, its calls traced as subsegments where tracing is on. */
  captureAWSv3Client<T>(client: T): T {
    return powertoolsTracer ? powertoolsTracer.captureAWSv3Client(client) : client;
  },
};

/** Metric names: the alarms and the dashboard in infra/constructs/monitoring.ts read these. */
export const METRIC = {
  exportsStarted: 'ExportsStarted',
  exportsSucceeded: 'ExportsSucceeded',
  exportsFailed: 'ExportsFailed',
  exportsCancelled: 'ExportsCancelled',
  /** Failures that are not the input's fault: what the FailedExecutions alarm counts. */
  serviceFailures: 'ServiceFailures',
  items: 'ExportedItems',
  annotations: 'ExportedAnnotations',
  archiveBytes: 'ArchiveBytes',
  stageSeconds: 'StageSeconds',
  stageErrors: 'StageErrors',
  apiRequests: 'ApiRequests',
  api4xx: 'Api4xx',
  api5xx: 'Api5xx',
  requestObjects: 'RequestObjects',
  oldestQueuedSeconds: 'OldestQueuedExportAgeSeconds',
} as const;

/** A metric with its own dimensions, published at once so that it cannot mix with others. */
export function countWith(
  name: string,
  dimensions: Record<string, string>,
  value = 1,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit] = MetricUnit.Count,
): void {
  const single = metrics.singleMetric();
  for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
  single.addMetric(name, unit, value);
}

export { MetricUnit };
