import { deleteKey, deletePrefix } from '../aws/s3';
import { ERROR_TABLE } from '../errors';
import { RecordStore, recordKeys, type ExportRecord } from '../exports/record';
import { workKeys, type ExportRef, type PipelineDeps } from './work';

/** What a Catch puts at `$.error`: the error's name and a cause (a Lambda's is JSON text). */
export interface CaughtError {
  Error?: string;
  Cause?: unknown;
}

/**
 * The user-facing reason of a failure: our errors say what went wrong in their own words (file,
 * line and field); anything else is reported without internals.
 */
export function failureReason(error: CaughtError): {
  code: string;
  message: string;
  details: string[];
} {
  const code = error.Error ?? 'Error';
  let cause: { errorMessage?: string; message?: string; details?: string[] } = {};
  if (typeof error.Cause === 'string') {
    try {
      cause = JSON.parse(error.Cause) as typeof cause;
    } catch {
      cause = { errorMessage: error.Cause };
    }
  } else if (error.Cause && typeof error.Cause === 'object') {
    cause = error.Cause as typeof cause;
  }
  const message = cause.errorMessage ?? cause.message ?? '';
  if (code in ERROR_TABLE && message) {
    return { code, message, details: Array.isArray(cause.details) ? cause.details : [] };
  }
  if (code === 'States.Timeout')
    return { code, message: 'the export took too long and was stopped', details: [] };
  return {
    code: 'InternalError',
    message: 'the export failed because of an internal error',
    details: [],
  };
}

/** RecordFailure (DESIGN §11): records FAILED with a readable reason, then removes staged work. */
export async function recordFailure(
  deps: PipelineDeps,
  input: ExportRef & { error: CaughtError },
): Promise<ExportRecord> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const reason = failureReason(input.error);
  const record = await records.update(input.projectId, input.exportId, {
    status: 'FAILED',
    finished_at: new Date().toISOString(),
    error: reason,
  });
  await deletePrefix(deps.s3, deps.exportBucket, workKeys.root(input.exportId));
  await deleteKey(deps.s3, deps.exportBucket, recordKeys.secret(input.exportId));
  return record;
}
