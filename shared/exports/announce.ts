import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { putExportEvent } from '../aws/events';
import { logger } from '../observability/index';
import { countEnded } from '../observability/outcomes';
import type { ExportRecord } from './record';
import { recordEndedRequest } from './request-object';

export interface AnnounceDeps {
  events: EventBridgeClient;
  eventBusName: string;
  /** Where the status objects of request objects are (the data bucket). */
  s3: S3Client;
  dataBucket: string;
}

/**
 * Tells whoever waits that an export ended: its metrics, the status object of the request object
 * that started it (if one did), its EventBridge event. Called again for
 * a step retried after the export ended, so that an event whose put failed is put then
 * (at-least-once delivery: consumers key on `detail.exportId`).
 */
export async function announceEnd(deps: AnnounceDeps, record: ExportRecord): Promise<void> {
  countEnded(record);
  logger.info('export ended', {
    status: record.status,
    format: record.format,
    ...(record.error ? { reason: { code: record.error.code, message: record.error.message } } : {}),
    ...(record.archive ? { bytes: record.archive.bytes } : {}),
  });
  await recordEndedRequest(deps, record);
  await putExportEvent(deps.events, deps.eventBusName, record);
}
