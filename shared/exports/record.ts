import type { S3Client } from '@aws-sdk/client-s3';
import { getTextIfExists, putText } from '../aws/s3';
import { NotFoundError } from '../errors';
import { recordKeys } from '../store/keys';
import type { TaskType } from '../model/types';
import type { Encryption, ExportRequest, ExportType } from './request';

export const EXPORT_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
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
  /** Archive key in the export bucket, its size, sha256 and number of files, once SUCCEEDED. */
  archive: { key: string; bytes: number; sha256: string; files: number } | null;
  counts: { items: number; annotations: number } | null;
  warnings: string[];
  error: { code: string; message: string; details: string[] } | null;
}

/** The export bucket's key layout lives with every other key layout. */
export { recordKeys };

export class RecordStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async find(projectId: string, exportId: string): Promise<ExportRecord | undefined> {
    const text = await getTextIfExists(
      this.s3,
      this.bucket,
      recordKeys.record(projectId, exportId),
    );
    return text === undefined ? undefined : (JSON.parse(text) as ExportRecord);
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
