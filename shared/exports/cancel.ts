import { deleteKey, deletePrefix } from '../aws/s3';
import { stopExecution, executionArn } from '../aws/sfn';
import { ConflictError, NotFoundError } from '../errors';
import { workKeys } from '../pipeline/work';
import { isActive, type LifecycleDeps } from './lifecycle';
import { RecordStore, recordKeys, type ExportRecord } from './record';

/** What the StopExecution of a cancel says; the reconciliation knows a cancel by it. */
export const CANCEL_ERROR = 'ExportCancelled';

/**
 * Cancels a QUEUED or RUNNING export (`POST .../exports/{id}/cancel`): its execution is stopped
 * (it ends ABORTED), its password goes before the record says CANCELLED, then its staged work
 * and any archive a step may have begun. Cancelling a cancelled export answers the same record;
 * one that ended otherwise cannot be cancelled (409). A cancelled export never has an archive:
 * package does not record SUCCEEDED over CANCELLED.
 */
export async function cancelExport(
  deps: LifecycleDeps,
  projectId: string,
  exportId: string,
): Promise<ExportRecord> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const record = await records.find(projectId, exportId);
  if (!record) throw new NotFoundError(`export ${exportId} does not exist in project ${projectId}`);
  if (record.status === 'CANCELLED') return record;
  if (!isActive(record))
    throw new ConflictError(
      `export ${exportId} is ${record.status}; only a QUEUED or RUNNING export can be cancelled`,
    );
  await stopExecution(deps.sfn, executionArn(deps.stateMachineArn, exportId), {
    error: CANCEL_ERROR,
    cause: 'The export was cancelled.',
  });
  await deleteKey(deps.s3, deps.exportBucket, recordKeys.secret(exportId));
  const cancelled: ExportRecord = {
    ...((await records.find(projectId, exportId)) ?? record),
    status: 'CANCELLED',
    finished_at: (deps.now?.() ?? new Date()).toISOString(),
    archive: null,
    error: null,
  };
  await records.put(cancelled);
  await removeStagedAndArchive(deps, cancelled);
  return cancelled;
}

/** Staged work and every object of the export's folder but its record. */
export async function removeStagedAndArchive(
  deps: Pick<LifecycleDeps, 's3' | 'exportBucket'>,
  record: Pick<ExportRecord, 'id' | 'projectId'>,
): Promise<void> {
  await deletePrefix(deps.s3, deps.exportBucket, workKeys.root(record.id));
  const recordKey = recordKeys.record(record.projectId, record.id);
  await deletePrefix(
    deps.s3,
    deps.exportBucket,
    `${recordKeys.prefix(record.projectId)}${record.id}/`,
    (key) => key === recordKey,
  );
}
