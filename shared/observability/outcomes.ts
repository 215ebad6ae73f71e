import { ERROR_TABLE } from '../errors';
import type { ExportRecord } from '../exports/record';
import { METRIC, MetricUnit, countWith, metrics } from './index';

/** Failure codes that name a problem of the request or the store, which the user fixes. */
const INPUT_FAULTS = new Set(
  Object.entries(ERROR_TABLE)
    .filter(([, { status }]) => status >= 400 && status < 500)
    .map(([name]) => name),
);

/** An export that got its execution, by format (`datasets` for media-only exports). */
export function countStarted(record: Pick<ExportRecord, 'format'>): void {
  countWith(METRIC.exportsStarted, { format: record.format ?? 'datasets' });
}

/**
 * An ended export: succeeded by format, failed by format and failure code, cancelled by format;
 * what a success delivered (items, annotations, archive bytes) joins the invocation's EMF blob.
 */
export function countEnded(record: ExportRecord): void {
  const format = record.format ?? 'datasets';
  if (record.status === 'SUCCEEDED') {
    countWith(METRIC.exportsSucceeded, { format });
    metrics.addMetric(METRIC.items, MetricUnit.Count, record.counts?.items ?? 0);
    metrics.addMetric(METRIC.annotations, MetricUnit.Count, record.counts?.annotations ?? 0);
    metrics.addMetric(METRIC.archiveBytes, MetricUnit.Bytes, record.archive?.bytes ?? 0);
  } else if (record.status === 'FAILED') {
    const code = record.error?.code ?? 'Unknown';
    countWith(METRIC.exportsFailed, { format, code });
    if (!INPUT_FAULTS.has(code)) metrics.addMetric(METRIC.serviceFailures, MetricUnit.Count, 1);
  } else if (record.status === 'CANCELLED') {
    countWith(METRIC.exportsCancelled, { format });
  }
}
