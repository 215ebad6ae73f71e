import type { S3Client } from '@aws-sdk/client-s3';
import { getTextIfExists, putText } from '../aws/s3';
import { ExportError, NotFoundError } from '../errors';
import { recordKeys } from '../store/keys';
import type { TaskType } from '../model/types';
import type { Encryption, ExportRequest, ExportType } from './request';

export const EXPORT_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** One row of the exports table (DESIGN §12). Never holds the password. */
export interface ExportRecord {
  id: string;
  projectId: string;
  name: string;
  type: ExportType;
  task: { id: string; name: string; type: TaskType } | null;
  format: string | null;
  maskKind: string | null;
  encryption: Encryption | null;
  request: Omit<ExportRequest, 'password'>;
  status: ExportStatus;
  progress: { done: number; total: number };
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /**
   * Archive key in the export bucket, its size, CRC-32 (the archive is stitched on S3 from the
   * shards' segments, whose checksums combine; a sha256 would need every byte read) and number
   * of files, once SUCCEEDED.
   */
  archive: { key: string; bytes: number; crc32: string; files: number } | null;
  counts: { items: number; annotations: number } | null;
  warnings: string[];
  /** The request object's name (`requests/{projectId}/{name}.json`) of an export started by one. */
  requestName?: string;
  error: { code: string; message: string; details: string[] } | null;
  /** When S3 removes the archive and the record (the retention setting); null on older records. */
  expires_at?: string | null;
}

/** The retention of `exports/` when no setting says otherwise (the stack's default). */
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * When a lifecycle rule of `days` removes what was written at `createdAt`: S3 adds the days to the
 * object's creation time and rounds up to the next midnight UTC.
 */
export function expiresAt(createdAt: Date, days: number): string {
  const at = new Date(createdAt.getTime() + days * 86_400_000);
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1);
  return new Date(midnight).toISOString();
}

/** The export bucket's key layout lives with every other key layout. */
export { recordKeys };

/** A record object that is not a record (truncated, not JSON, not an object of the right shape). */
export class UnreadableRecordError extends ExportError {
  constructor(
    readonly exportId: string,
    problem: string,
  ) {
    super(`the record of export ${exportId} cannot be read: ${problem}`);
    this.name = 'UnreadableRecordError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isStringOrNull = (v: unknown) => v === null || typeof v === 'string';

/** The members the table and the pipeline read, each with the test its value must pass. */
const RECORD_MEMBERS: Record<string, (v: unknown) => boolean> = {
  name: (v) => typeof v === 'string',
  type: (v) => typeof v === 'string',
  status: (v) => EXPORT_STATUSES.includes(v as ExportStatus),
  task: (v) => v === null || (isObject(v) && typeof v.id === 'string'),
  format: isStringOrNull,
  maskKind: isStringOrNull,
  encryption: isStringOrNull,
  request: isObject,
  progress: (v) => isObject(v) && Number.isFinite(v.done) && Number.isFinite(v.total),
  created_at: (v) => typeof v === 'string' && Number.isFinite(Date.parse(v)),
  started_at: isStringOrNull,
  finished_at: isStringOrNull,
  archive: (v) =>
    v === null || (isObject(v) && typeof v.key === 'string' && Number.isFinite(v.bytes)),
  counts: (v) => v === null || isObject(v),
  warnings: Array.isArray,
  error: (v) =>
    v === null || (isObject(v) && typeof v.code === 'string' && typeof v.message === 'string'),
};

/** The record in a record object's text, or what makes it none. */
export function parseRecord(
  text: string,
  projectId: string,
  exportId: string,
): ExportRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.length === 0 ? 'it is empty' : 'it is not valid JSON (truncated or damaged)';
  }
  if (!isObject(value)) return 'it is not a JSON object';
  if (value.id !== exportId || value.projectId !== projectId)
    return 'it names another export or project';
  const bad = Object.keys(RECORD_MEMBERS).filter(
    (member) => !RECORD_MEMBERS[member]!(value[member]),
  );
  if (bad.length > 0)
    return `its ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} missing or malformed`;
  return value as unknown as ExportRecord;
}

/** Reads of a record that races with its rewrite: see RecordStore.find. */
const READ_ATTEMPTS = 5;

export class RecordStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * The record, undefined when there is none; UnreadableRecordError when its object holds no
   * record. S3 replaces an object atomically, but some S3-compatible stores can serve an object
   * that is being rewritten half-written: a record that does not parse is read again a few times
   * before it counts as unreadable.
   */
  async find(projectId: string, exportId: string): Promise<ExportRecord | undefined> {
    for (let attempt = 1; ; attempt++) {
      const text = await getTextIfExists(
        this.s3,
        this.bucket,
        recordKeys.record(projectId, exportId),
      );
      if (text === undefined) return undefined;
      const parsed = parseRecord(text, projectId, exportId);
      if (typeof parsed !== 'string') return parsed;
      if (attempt >= READ_ATTEMPTS) throw new UnreadableRecordError(exportId, parsed);
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }

  async get(projectId: string, exportId: string): Promise<ExportRecord> {
    const record = await this.find(projectId, exportId);
    if (!record)
      throw new NotFoundError(`export ${exportId} does not exist in project ${projectId}`);
    return record;
  }

  async put(record: ExportRecord): Promise<void> {
    await putText(
      this.s3,
      this.bucket,
      recordKeys.record(record.projectId, record.id),
      JSON.stringify(record, null, 2),
    );
  }

  /** Reads, changes and writes a record; each stage of an export is its record's only writer at that time. */
  async update(
    projectId: string,
    exportId: string,
    change: Partial<ExportRecord>,
  ): Promise<ExportRecord> {
    const record = { ...(await this.get(projectId, exportId)), ...change };
    await this.put(record);
    return record;
  }
}
