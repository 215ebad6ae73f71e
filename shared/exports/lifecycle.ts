import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { deleteKey, deletePrefix, listKeys } from '../aws/s3';
import { describeExecution, executionArn, type ExecutionState } from '../aws/sfn';
import { workKeys } from '../pipeline/work';
import { RecordStore, recordKeys, type ExportRecord } from './record';

export interface LifecycleDeps {
  s3: S3Client;
  sfn: SFNClient;
  exportBucket: string;
  stateMachineArn: string;
  now?: () => Date;
}

type Reason = NonNullable<ExportRecord['error']>;

/**
 * How long a QUEUED export may have no execution: the record is written just before the
 * execution starts, and a start that fails says so in the record; one whose starter died in
 * between (an API function that timed out) would otherwise stay QUEUED for ever.
 */
export const START_GRACE_MS = 5 * 60 * 1000;

export const isActive = (record: Pick<ExportRecord, 'status'>): boolean =>
  record.status === 'QUEUED' || record.status === 'RUNNING';

/** The execution of an export (executions are named after exports), or undefined if there is none. */
export function executionOfExport(
  deps: Pick<LifecycleDeps, 'sfn' | 'stateMachineArn'>,
  exportId: string,
): Promise<ExecutionState | undefined> {
  return describeExecution(deps.sfn, executionArn(deps.stateMachineArn, exportId));
}

/**
 * Why an execution ended without its export recording a result. Package records SUCCEEDED and
 * RecordFailure records FAILED before the execution ends, so an export still QUEUED or RUNNING
 * whose execution has ended was ended from outside: aborted, timed out as a whole, or failed
 * where no Catch reaches (RecordFailure itself). Undefined while the execution runs.
 */
export function endedWithoutResult(execution: ExecutionState): Reason | undefined {
  const what = {
    ABORTED: { code: 'ExecutionAborted', text: 'was stopped (ABORTED)' },
    TIMED_OUT: {
      code: 'ExecutionTimedOut',
      text: "ran past the state machine's time limit (TIMED_OUT)",
    },
    FAILED: {
      code: 'ExecutionFailed',
      text: `failed (FAILED${execution.error ? `: ${execution.error}` : ''}) in a step that could not record why`,
    },
  }[execution.status as string];
  if (!what) return undefined;
  return {
    code: what.code,
    message: `the export's execution ${what.text} before the export was finished (execution ${execution.executionArn})`,
    details: [],
  };
}

/**
 * Ends an export that nothing will finish any more: its password goes first (none may stay at
 * rest once the record says the export ended), then the record says FAILED, then the staged work
 * goes. Each step may be repeated: a close interrupted half-way is finished by the next one.
 */
export async function closeExport(
  deps: Pick<LifecycleDeps, 's3' | 'exportBucket' | 'now'>,
  record: ExportRecord,
  reason: Reason,
  finishedAt?: Date | null,
): Promise<ExportRecord> {
  await deleteKey(deps.s3, deps.exportBucket, recordKeys.secret(record.id));
  const closed: ExportRecord = {
    ...record,
    status: 'FAILED',
    finished_at: (finishedAt ?? deps.now?.() ?? new Date()).toISOString(),
    error: reason,
  };
  await new RecordStore(deps.s3, deps.exportBucket).put(closed);
  await deletePrefix(deps.s3, deps.exportBucket, workKeys.root(record.id));
  return closed;
}

/**
 * The reason to close an active export, judged from its execution; undefined while the export may
 * still end by itself. An execution that does not exist is judged only after START_GRACE_MS.
 */
export async function reasonToClose(
  deps: LifecycleDeps,
  record: ExportRecord,
): Promise<{ reason: Reason; at: Date | null } | undefined> {
  const execution = await executionOfExport(deps, record.id);
  if (execution) {
    const reason = endedWithoutResult(execution);
    return reason ? { reason, at: execution.stopDate } : undefined;
  }
  const now = (deps.now?.() ?? new Date()).getTime();
  if (now - Date.parse(record.created_at) < START_GRACE_MS) return undefined;
  return {
    reason: {
      code: 'ExecutionMissing',
      message: `the export's execution does not exist (it never started, or it is gone), so the export was not finished (execution ${executionArn(deps.stateMachineArn, record.id)})`,
      details: [],
    },
    at: null,
  };
}

/**
 * Local start-up (DESIGN §13): the runner keeps executions in memory, so a stack that was killed
 * lost every execution it ran. Each export its records show QUEUED or RUNNING is closed as
 * interrupted, and no password or staged work may outlive the exports: nothing runs yet, so every
 * object under `secrets/` and `work/` is an orphan. Returns the ids of the exports it closed.
 */
export async function closeInterruptedExports(
  deps: Pick<LifecycleDeps, 's3' | 'exportBucket' | 'stateMachineArn' | 'now'>,
): Promise<string[]> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const found: Array<{ projectId: string; exportId: string }> = [];
  for await (const { key } of listKeys(deps.s3, deps.exportBucket, 'exports/')) {
    const [, projectId, exportId, file] = key.split('/');
    if (file === 'record.json' && projectId && exportId) found.push({ projectId, exportId });
  }
  const closed: string[] = [];
  for (const { projectId, exportId } of found) {
    // An unreadable record shows in the table as such; there is nothing to close in it.
    const record = await records.find(projectId, exportId).catch(() => undefined);
    if (!record || !isActive(record)) continue;
    await closeExport(deps, record, {
      code: 'Interrupted',
      message: `the export was interrupted: the local stack stopped while it ran (execution ${executionArn(deps.stateMachineArn, record.id)})`,
      details: [],
    });
    closed.push(record.id);
  }
  await deletePrefix(deps.s3, deps.exportBucket, 'secrets/');
  await deletePrefix(deps.s3, deps.exportBucket, 'work/');
  return closed;
}
