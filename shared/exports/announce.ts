import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { putExportEvent } from '../aws/events';
import { logger } from '../observability/index';
import { countEnded } from '../observability/outcomes';
import type { ExportRecord } from './record';

export interface AnnounceDeps {
  events: EventBridgeClient;
  eventBusName: string;
}

/**
 * Tells whoever waits that an export ended: its metrics, its EventBridge event. Called again for
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
  await putExportEvent(deps.events, deps.eventBusName, record);
}
