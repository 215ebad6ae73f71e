import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { deleteKey, deleteKeys, listKeys } from '../aws/s3';
import { classifyAwsError, ConflictError, NotFoundError, ValidationError } from '../errors';
import { workKeys } from '../pipeline/work';
import { attachmentDisposition } from './content-disposition';
import { EXPORT_ID_PATTERN } from './ids';
import { recordKeys, RecordStore, type ExportRecord } from './record';

/** Download links live 15 minutes (DESIGN §15). */
export const DOWNLOAD_URL_SECONDS = 15 * 60;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface TableDeps {
  s3: S3Client;
  sfn: SFNClient;
  exportBucket: string;
  stateMachineArn: string;
  /** A presigned GET of an archive; the default signs with `s3`. */
  presign?: (key: string, fileName: string) => Promise<string>;
}

/** One row of the exports table (DESIGN §12). */
export interface ExportRow {
  id: string;
  name: string;
  task: ExportRecord['task'];
  format: string | null;
  maskKind: string | null;
  type: ExportRecord['type'];
  status: ExportRecord['status'];
  progress: { done: number; total: number };
  created_at: string;
  finished_at: string | null;
  bytes: number | null;
  download_url?: string;
  error: ExportRecord['error'];
}

/** An export as GET /exports/{id} shows it: the whole record with the row's live fields. */
export type ExportView = ExportRecord & { bytes: number | null; download_url?: string };

export interface ExportPage {
  items: ExportRow[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

/**
 * A record as RecordStore.find reads it, tolerating a read that races with a write: S3 replaces an
 * object atomically, but the local S3 server (and some S3-compatible stores) can serve an object
 * that is being rewritten half-written; the next read sees it whole.
 */
export async function findRecord(
  deps: Pick<TableDeps, 's3' | 'exportBucket'>,
  projectId: string,
  exportId: string,
): Promise<ExportRecord | undefined> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  for (let attempt = 1; ; attempt++) {
    try {
      return await records.find(projectId, exportId);
    } catch (error) {
      if (!(error instanceof SyntaxError) || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

async function getRecord(deps: TableDeps, projectId: string, exportId: string) {
  const record = await findRecord(deps, projectId, exportId);
  if (!record) throw new NotFoundError(`export ${exportId} does not exist in project ${projectId}`);
  return record;
}

/** `arn:...:stateMachine:M` → `arn:...:execution:M:{exportId}`: executions are named after exports. */
export function executionArn(stateMachineArn: string, exportId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${exportId}`;
}

const ENDED_WITHOUT_RECORD = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * The record as it stands now. Plan marks it RUNNING and package or record-failure close it, but an
 * execution that timed out, was aborted or failed inside RecordFailure closes nothing: when the
 * execution has ended that way the export is FAILED, and the record is brought up to date so that
 * it can be deleted. While RUNNING, progress counts the shards whose stats object exists.
 */
export async function currentRecord(deps: TableDeps, record: ExportRecord): Promise<ExportRecord> {
  if (record.status !== 'QUEUED' && record.status !== 'RUNNING') return record;
  let execution;
  try {
    execution = await deps.sfn.send(
      new DescribeExecutionCommand({
        executionArn: executionArn(deps.stateMachineArn, record.id),
      }),
    );
  } catch (error) {
    // Not started yet (or not visible yet): the record is all there is to say.
    if (error instanceof ExecutionDoesNotExist) return record;
    throw classifyAwsError(error, `describing the execution of ${record.id}`);
  }
  if (execution.status && ENDED_WITHOUT_RECORD.has(execution.status)) {
    // The record may have been closed between reading it and describing the execution.
    const records = new RecordStore(deps.s3, deps.exportBucket);
    const latest = (await findRecord(deps, record.projectId, record.id)) ?? record;
    if (latest.status === 'SUCCEEDED' || latest.status === 'FAILED') return latest;
    const failed: ExportRecord = {
      ...latest,
      status: 'FAILED',
      finished_at: (execution.stopDate ?? new Date()).toISOString(),
      error: {
        code: `Execution${execution.status === 'TIMED_OUT' ? 'TimedOut' : execution.status === 'ABORTED' ? 'Aborted' : 'Failed'}`,
        message: `the export's execution ended (${execution.status}) before it could record a result`,
        details: [],
      },
    };
    await records.put(failed);
    return failed;
  }
  if (record.status === 'RUNNING' && record.progress.total > 0) {
    return { ...record, progress: { ...record.progress, done: await shardsDone(deps, record.id) } };
  }
  return record;
}

/** Shards whose stats object exists: each shard writes it last, when it is done. */
export async function shardsDone(deps: TableDeps, exportId: string): Promise<number> {
  let done = 0;
  for await (const _ of listKeys(deps.s3, deps.exportBucket, workKeys.statsPrefix(exportId)))
    done++;
  return done;
}

function presigner(deps: TableDeps) {
  return (
    deps.presign ??
    ((key: string, fileName: string) =>
      getSignedUrl(
        deps.s3,
        new GetObjectCommand({
          Bucket: deps.exportBucket,
          Key: key,
          ResponseContentDisposition: attachmentDisposition(fileName),
        }),
        { expiresIn: DOWNLOAD_URL_SECONDS },
      ))
  );
}

async function downloadUrl(deps: TableDeps, record: ExportRecord): Promise<string | undefined> {
  if (record.status !== 'SUCCEEDED' || !record.archive) return undefined;
  return presigner(deps)(record.archive.key, record.archive.key.split('/').pop()!);
}

export async function viewOf(deps: TableDeps, stored: ExportRecord): Promise<ExportView> {
  const record = await currentRecord(deps, stored);
  const url = await downloadUrl(deps, record);
  return { ...record, bytes: record.archive?.bytes ?? null, ...(url ? { download_url: url } : {}) };
}

export function rowOf(view: ExportView): ExportRow {
  return {
    id: view.id,
    name: view.name,
    task: view.task,
    format: view.format,
    maskKind: view.maskKind,
    type: view.type,
    status: view.status,
    progress: view.progress,
    created_at: view.created_at,
    finished_at: view.finished_at,
    bytes: view.bytes,
    ...(view.download_url ? { download_url: view.download_url } : {}),
    error: view.error,
  };
}

export async function getExport(
  deps: TableDeps,
  projectId: string,
  exportId: string,
): Promise<ExportView> {
  return viewOf(deps, await getRecord(deps, projectId, exportId));
}

/** Export ids of a project, newest first (ids sort by creation time). */
export async function exportIds(deps: TableDeps, projectId: string): Promise<string[]> {
  const prefix = recordKeys.prefix(projectId);
  const ids: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await deps.s3.send(
        new ListObjectsV2Command({
          Bucket: deps.exportBucket,
          Prefix: prefix,
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
    } catch (error) {
      throw classifyAwsError(error, `listing ${prefix}`);
    }
    for (const { Prefix } of page.CommonPrefixes ?? []) {
      const id = Prefix?.slice(prefix.length, -1) ?? '';
      if (EXPORT_ID_PATTERN.test(id)) ids.push(id);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return ids.sort().reverse();
}

export function encodeCursor(exportId: string): string {
  return Buffer.from(exportId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return EXPORT_ID_PATTERN.test(id) ? id : undefined;
}

/** Reads `limit` and `cursor` from a query string, listing every problem. */
export function pageParameters(query: Record<string, string | undefined>): {
  limit: number;
  after?: string;
} {
  const problems: string[] = [];
  let limit = DEFAULT_PAGE_SIZE;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!/^\d+$/.test(query.limit) || limit < 1 || limit > MAX_PAGE_SIZE)
      problems.push(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  let after: string | undefined;
  if (query.cursor !== undefined) {
    after = decodeCursor(query.cursor);
    if (!after) problems.push('cursor is not one this API gave out');
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return { limit, ...(after ? { after } : {}) };
}

/** A page of the exports table, newest first; `after` is the last id of the previous page. */
export async function listExports(
  deps: TableDeps,
  projectId: string,
  page: { limit: number; after?: string },
): Promise<ExportPage> {
  const ids = await exportIds(deps, projectId);
  const start = page.after ? ids.findIndex((id) => id < page.after!) : 0;
  const chosen = start < 0 ? [] : ids.slice(start, start + page.limit);
  const rows = await Promise.all(
    chosen.map(async (id) => {
      const record = await findRecord(deps, projectId, id);
      // A folder without a record is an export being deleted: it is no longer in the table.
      return record ? rowOf(await viewOf(deps, record)) : undefined;
    }),
  );
  const more = start >= 0 && start + page.limit < ids.length;
  return {
    items: rows.filter((r): r is ExportRow => r !== undefined),
    next_cursor: more ? encodeCursor(chosen[chosen.length - 1]!) : null,
  };
}

/** Removes an export's archive and record; an export still QUEUED or RUNNING cannot be deleted. */
export async function deleteExport(
  deps: TableDeps,
  projectId: string,
  exportId: string,
): Promise<void> {
  const record = await currentRecord(deps, await getRecord(deps, projectId, exportId));
  if (record.status === 'QUEUED' || record.status === 'RUNNING')
    throw new ConflictError(`export ${exportId} is ${record.status}; delete it once it has ended`);
  // The archive goes first: a record left by an interrupted delete can be deleted again.
  const folder = `${recordKeys.prefix(projectId)}${exportId}/`;
  const recordKey = recordKeys.record(projectId, exportId);
  const others: string[] = [];
  for await (const { key } of listKeys(deps.s3, deps.exportBucket, folder))
    if (key !== recordKey) others.push(key);
  for (let i = 0; i < others.length; i += 1000)
    await deleteKeys(deps.s3, deps.exportBucket, others.slice(i, i + 1000));
  await deleteKey(deps.s3, deps.exportBucket, recordKey);
}
