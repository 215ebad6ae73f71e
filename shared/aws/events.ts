import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { classifyAwsError } from '../errors';
import type { ExportRecord } from '../exports/record';
import { clientConfig } from './clients';

/** The `source` of every event this service puts; rules match on it and on `detail-type`. */
export const EVENT_SOURCE = 'annotation-export';
export const EVENT_TYPES = {
  succeeded: 'Export Succeeded',
  failed: 'Export Failed',
  cancelled: 'Export Cancelled',
} as const;

/**
 * What pipelines learn of an ended export: ids, what it was, its counts and bytes, and for a
 * failure the reason the record holds. Never the password, the request body or a download URL.
 */
export interface ExportEventDetail {
  exportId: string;
  projectId: string;
  name: string;
  type: ExportRecord['type'];
  format: string | null;
  status: ExportRecord['status'];
  counts: { items: number; annotations: number } | null;
  bytes: number | null;
  archiveKey: string | null;
  reason: { code: string; message: string } | null;
  finishedAt: string | null;
}

export function exportEventDetail(record: ExportRecord): ExportEventDetail {
  return {
    exportId: record.id,
    projectId: record.projectId,
    name: record.name,
    type: record.type,
    format: record.format,
    status: record.status,
    counts: record.counts,
    bytes: record.archive?.bytes ?? null,
    archiveKey: record.archive?.key ?? null,
    reason: record.error ? { code: record.error.code, message: record.error.message } : null,
    finishedAt: record.finished_at,
  };
}

/** The event type of an ended export; undefined while it is QUEUED or RUNNING. */
export function eventTypeOf(record: Pick<ExportRecord, 'status'>): string | undefined {
  if (record.status === 'SUCCEEDED') return EVENT_TYPES.succeeded;
  if (record.status === 'FAILED') return EVENT_TYPES.failed;
  if (record.status === 'CANCELLED') return EVENT_TYPES.cancelled;
  return undefined;
}

/** EventBridge; AWS_ENDPOINT_URL_EVENTBRIDGE points at LocalStack or the local stack's log. */
export function createEventsClient(env: NodeJS.ProcessEnv = process.env): EventBridgeClient {
  return new EventBridgeClient(clientConfig('EVENTBRIDGE', env));
}

/** Puts the ended export's event on the bus (the account's default bus unless told otherwise). */
export async function putExportEvent(
  events: EventBridgeClient,
  busName: string,
  record: ExportRecord,
): Promise<void> {
  const detailType = eventTypeOf(record);
  if (!detailType) return;
  let answer;
  try {
    answer = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: detailType,
            Detail: JSON.stringify(exportEventDetail(record)),
            Resources: [],
          },
        ],
      }),
    );
  } catch (error) {
    throw classifyAwsError(error, `putting the ${detailType} event of ${record.id}`);
  }
  // PutEvents answers 200 with per-entry failures (throttled, internal): those are worth a retry.
  if (answer.FailedEntryCount) {
    const entry = answer.Entries?.find((e) => e.ErrorCode);
    throw classifyAwsError(
      Object.assign(new Error(entry?.ErrorMessage ?? 'PutEvents failed'), {
        name: entry?.ErrorCode ?? 'InternalError',
        $retryable: true,
      }),
      `putting the ${detailType} event of ${record.id}`,
    );
  }
}
