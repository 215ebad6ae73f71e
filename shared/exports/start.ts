import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { deleteKey, putText } from '../aws/s3';
import { startExecution } from '../aws/sfn';
import { formatFor } from '../formats/index';
import { generatedName } from '../names';
import type { Project, Task } from '../model/types';
import { StoreReader } from '../store/reader';
import { newExportId } from './ids';
import {
  DEFAULT_RETENTION_DAYS,
  expiresAt,
  recordKeys,
  RecordStore,
  type ExportRecord,
} from './record';
import { validateRequest, withoutPassword, type ExportRequest } from './request';

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
  const { project, task } = await resolveScope(deps, projectId, request);
  const record = queuedRecord(request, {
    id: exportId ?? newExportId(now),
    projectId,
    name:
      request.name ?? generatedName([project.name, task?.name, request.format ?? 'datasets'], now),
    task,
    now,
    retentionDays: deps.retentionDays ?? DEFAULT_RETENTION_DAYS,
    requestName,
  });
  if (request.password)
    await putText(
      deps.s3,
      deps.exportBucket,
      recordKeys.secret(record.id),
      request.password,
      'text/plain',
    );
  await new RecordStore(deps.s3, deps.exportBucket).put(record);
  await startExecutionOf(deps, record, Boolean(request.password));
  return record;
}

/**
 * The project and task a request names, read from the store (NotFoundError when missing), with
 * the format checked against the task.
 */
async function resolveScope(
  deps: StartDeps,
  projectId: string,
  request: ExportRequest,
): Promise<{ project: Project; task: Task | undefined }> {
  const store = new StoreReader(deps.s3, deps.dataBucket, projectId);
  const project = await store.project();
  const task = request.taskId ? await store.task(request.taskId) : undefined;
  if (task && request.format) formatFor(request.format, task.type, task.media, request.maskKind);
  return { project, task };
}

/** The record of an export that has not started. */
function queuedRecord(
  request: ExportRequest,
  at: {
    id: string;
    projectId: string;
    name: string;
    task: Task | undefined;
    now: Date;
    retentionDays: number;
    requestName: string | undefined;
  },
): ExportRecord {
  const { id, projectId, name, task, now, requestName } = at;
  return {
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
    expires_at: expiresAt(now, at.retentionDays),
    ...(requestName === undefined ? {} : { requestName }),
  };
}

/**
 * Starts the execution named after the export id: a repeated start of the same export is not an
 * error. When it cannot start, nothing will ever run the export: its password goes, then its row
 * says so instead of staying QUEUED.
 */
async function startExecutionOf(
  deps: StartDeps,
  record: ExportRecord,
  hasPassword: boolean,
): Promise<void> {
  try {
    await startExecution(deps.sfn, {
      stateMachineArn: deps.stateMachineArn,
      name: record.id,
      input: JSON.stringify({ exportId: record.id, projectId: record.projectId }),
    });
  } catch (error) {
    if (hasPassword)
      await deleteKey(deps.s3, deps.exportBucket, recordKeys.secret(record.id)).catch(
        () => undefined,
      );
    await new RecordStore(deps.s3, deps.exportBucket)
      .put({
        ...record,
        status: 'FAILED',
        finished_at: new Date().toISOString(),
        error: { code: 'StartFailed', message: 'the export could not be started', details: [] },
      })
      .catch(() => undefined);
    throw error;
  }
}
