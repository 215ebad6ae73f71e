import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { deleteKey, putText } from '../aws/s3';
import { startExecution } from '../aws/sfn';
import { formatFor } from '../formats/index';
import { generatedName } from '../names';
import { StoreReader } from '../store/reader';
import { newExportId } from './ids';
import {
  DEFAULT_RETENTION_DAYS,
  expiresAt,
  recordKeys,
  RecordStore,
  type ExportRecord,
} from './record';
import { validateRequest, withoutPassword } from './request';

export interface StartDeps {
  s3: S3Client;
  sfn: SFNClient;
  dataBucket: string;
  exportBucket: string;
  stateMachineArn: string;
  /** Days `exports/` keeps an archive and its record (the stack's exportRetentionDays). */
  retentionDays?: number;
  now?: () => Date;
}

/**
 * Starts an export, for the API and the S3 trigger alike: validates the request against the schema
 * and the store, creates the record (QUEUED), stores the password apart, and starts the execution
 * named after the export id.
 */
export async function startExport(
  deps: StartDeps,
  projectId: string,
  body: unknown,
  exportId?: string,
  requestName?: string,
): Promise<ExportRecord> {
  const request = validateRequest(body);
  const now = deps.now?.() ?? new Date();
  const store = new StoreReader(deps.s3, deps.dataBucket, projectId);
  const project = await store.project();
  const task = request.taskId ? await store.task(request.taskId) : undefined;
  if (task && request.format) formatFor(request.format, task.type, task.media, request.maskKind);
  const id = exportId ?? newExportId(now);
  const name =
    request.name ?? generatedName([project.name, task?.name, request.format ?? 'datasets'], now);
  const record: ExportRecord = {
    id,
    projectId,
    name,
    type: request.type,
    task: task ? { id: task.id, name: task.name, type: task.type } : null,
    format: request.format ?? null,
    maskKind: request.maskKind ?? null,
    encryption: request.password ? (request.encryption ?? 'aes256') : null,
    request: withoutPassword(request),
    status: 'QUEUED',
    progress: { done: 0, total: 0 },
    created_at: now.toISOString(),
    started_at: null,
    finished_at: null,
    archive: null,
    counts: null,
    warnings: [],
    error: null,
    expires_at: expiresAt(now, deps.retentionDays ?? DEFAULT_RETENTION_DAYS),
    ...(requestName === undefined ? {} : { requestName }),
  };
  if (request.password) {
    await putText(
      deps.s3,
      deps.exportBucket,
      recordKeys.secret(id),
      request.password,
      'text/plain',
    );
  }
  const records = new RecordStore(deps.s3, deps.exportBucket);
  await records.put(record);
  try {
    // The execution name is the export id: a repeated start of the same export is not an error.
    await startExecution(deps.sfn, {
      stateMachineArn: deps.stateMachineArn,
      name: id,
      input: JSON.stringify({ exportId: id, projectId }),
    });
  } catch (error) {
    // Nothing will ever run this export: the password goes, then its row says so instead of
    // staying QUEUED.
    if (request.password)
      await deleteKey(deps.s3, deps.exportBucket, recordKeys.secret(id)).catch(() => undefined);
    await records
      .put({
        ...record,
        status: 'FAILED',
        finished_at: new Date().toISOString(),
        error: { code: 'StartFailed', message: 'the export could not be started', details: [] },
      })
      .catch(() => undefined);
    throw error;
  }
  return record;
}
