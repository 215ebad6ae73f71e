import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { deleteKey, listFolders, listKeys, presignGet } from '../aws/s3';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { workKeys } from '../pipeline/work';
import { StoreReader } from '../store/reader';
import { removeStagedAndArchive } from './cancel';
import { attachmentDisposition } from './content-disposition';
import { EXPORT_ID_PATTERN } from './ids';
import { closeExport, executionOfExport, isActive, reasonToClose } from './lifecycle';
import { recordKeys, RecordStore, UnreadableRecordError, type ExportRecord } from './record';

/** Download links live 15 minutes (DESIGN §15). */
export const DOWNLOAD_URL_SECONDS = 15 * 60;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface TableDeps {
  s3: S3Client;
  sfn: SFNClient;
  /** The project store: an exports table exists only for a project that does. */
  dataBucket: string;
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
  /** The datasets asked for; null: every dataset of the task. */
  datasetIds: string[] | null;
  subsets: Array<{ name: string; percent: number }> | null;
  /** The archive's encryption; null: no password. */
  encryption: ExportRecord['encryption'];
  expires_at: string | null;
}

/** An export as GET /exports/{id} shows it: the whole record with the row's live fields. */
export type ExportView = ExportRecord & { bytes: number | null; download_url?: string };

/**
 * A row whose record object holds no record (truncated, damaged): listed with what its id tells
 * (the id and the creation time) so that one bad object does not hide the rest of the table, and
 * deletable like an export that has ended.
 */
export interface UnreadableRow {
  id: string;
  name: null;
  task: null;
  format: null;
  maskKind: null;
  type: null;
  status: 'UNREADABLE';
  progress: { done: 0; total: 0 };
  created_at: string;
  finished_at: null;
  bytes: null;
  error: { code: 'UnreadableRecord'; message: string; details: string[] };
}

export interface ExportPage {
  items: Array<ExportRow | UnreadableRow>;
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

/** A record, read as RecordStore.find reads it (UnreadableRecordError when it holds none). */
export async function findRecord(
  deps: Pick<TableDeps, 's3' | 'exportBucket'>,
  projectId: string,
  exportId: string,
): Promise<ExportRecord | undefined> {
  return new RecordStore(deps.s3, deps.exportBucket).find(projectId, exportId);
}

async function getRecord(deps: TableDeps, projectId: string, exportId: string) {
  const record = await findRecord(deps, projectId, exportId);
  if (!record) throw new NotFoundError(`export ${exportId} does not exist in project ${projectId}`);
  return record;
}

/**
 * The record as it stands now. Plan marks it RUNNING and package or record-failure close it, but an
 * execution that was aborted, timed out as a whole or failed inside RecordFailure closes nothing
 * (nor does one that never started or is gone): such an export is closed here, as FAILED with
 * what happened, its password and staged work removed, so that it can be deleted. While RUNNING,
 * progress counts the shards whose stats object exists.
 */
export async function currentRecord(deps: TableDeps, record: ExportRecord): Promise<ExportRecord> {
  if (!isActive(record)) return record;
  const close = await reasonToClose(deps, record);
  if (close) {
    // The record may have been closed between reading it and describing the execution.
    const latest = (await findRecord(deps, record.projectId, record.id)) ?? record;
    if (!isActive(latest)) return latest;
    return closeExport(deps, latest, close.reason, close.at);
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
      presignGet(deps.s3, deps.exportBucket, key, {
        expiresIn: DOWNLOAD_URL_SECONDS,
        contentDisposition: attachmentDisposition(fileName),
      }))
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
    datasetIds: view.request.datasetIds ?? null,
    subsets: view.request.split?.subsets ?? null,
    encryption: view.encryption,
    expires_at: view.expires_at ?? null,
  };
}

/** `20261124T180512345Z-3f9a1c0b` → `2026-11-24T18:05:12.345Z`: export ids begin with their creation time. */
function createdAtOfId(exportId: string): string {
  const [, y, mo, d, h, mi, sec, ms] = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\d{3})Z/.exec(
    exportId,
  )!;
  return `${y}-${mo}-${d}T${h}:${mi}:${sec}.${ms}Z`;
}

export function unreadableRow(error: UnreadableRecordError): UnreadableRow {
  return {
    id: error.exportId,
    name: null,
    task: null,
    format: null,
    maskKind: null,
    type: null,
    status: 'UNREADABLE',
    progress: { done: 0, total: 0 },
    created_at: createdAtOfId(error.exportId),
    finished_at: null,
    bytes: null,
    error: { code: 'UnreadableRecord', message: error.message, details: [] },
  };
}

/** What `read` gives, or the unreadable row of the record it could not read. */
async function orUnreadableRow<T>(read: () => Promise<T>): Promise<T | UnreadableRow> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof UnreadableRecordError) return unreadableRow(error);
    throw error;
  }
}

/** GET of one export: its view, or its unreadable row when its record object holds no record. */
export function getExport(
  deps: TableDeps,
  projectId: string,
  exportId: string,
): Promise<ExportView | UnreadableRow> {
  return orUnreadableRow(async () => viewOf(deps, await getRecord(deps, projectId, exportId)));
}

/** Export ids of a project, newest first (ids sort by creation time). */
export async function exportIds(deps: TableDeps, projectId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of listFolders(deps.s3, deps.exportBucket, recordKeys.prefix(projectId)))
    if (EXPORT_ID_PATTERN.test(id)) ids.push(id);
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
  // Like POST, the table of a project that does not exist is a 404, not an empty page.
  await new StoreReader(deps.s3, deps.dataBucket, projectId).project();
  const ids = await exportIds(deps, projectId);
  const start = page.after ? ids.findIndex((id) => id < page.after!) : 0;
  const chosen = start < 0 ? [] : ids.slice(start, start + page.limit);
  const rows = await Promise.all(
    chosen.map((id) =>
      orUnreadableRow(async () => {
        const record = await findRecord(deps, projectId, id);
        // A folder without a record is an export being deleted: it is no longer in the table.
        return record ? rowOf(await viewOf(deps, record)) : undefined;
      }),
    ),
  );
  const more = start >= 0 && start + page.limit < ids.length;
  return {
    items: rows.filter((r) => r !== undefined),
    next_cursor: more ? encodeCursor(chosen[chosen.length - 1]!) : null,
  };
}

/**
 * Removes an export: its archive, its record, and any password or staged work an interrupted end
 * left behind. An export still QUEUED or RUNNING cannot be deleted; one whose record is unreadable
 * can, unless its execution still runs.
 */
export async function deleteExport(
  deps: TableDeps,
  projectId: string,
  exportId: string,
): Promise<void> {
  let status: string;
  try {
    status = (await currentRecord(deps, await getRecord(deps, projectId, exportId))).status;
  } catch (error) {
    if (!(error instanceof UnreadableRecordError)) throw error;
    const execution = await executionOfExport(deps, exportId);
    status = execution?.status === 'RUNNING' ? 'RUNNING' : 'UNREADABLE';
  }
  if (status === 'QUEUED' || status === 'RUNNING')
    throw new ConflictError(`export ${exportId} is ${status}; delete it once it has ended`);
  await deleteKey(deps.s3, deps.exportBucket, recordKeys.secret(exportId));
  // The archive goes first: a record left by an interrupted delete can be deleted again.
  await removeStagedAndArchive(deps, { id: exportId, projectId });
  await deleteKey(deps.s3, deps.exportBucket, recordKeys.record(projectId, exportId));
}
