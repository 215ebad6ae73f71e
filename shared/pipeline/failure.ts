import { ERROR_TABLE } from '../errors';
import { closeExport } from '../exports/lifecycle';
import { RecordStore, type ExportRecord } from '../exports/record';
import type { ExportRef, PipelineDeps } from './work';

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

/**
 * RecordFailure (DESIGN §11): removes the password, records FAILED with a readable reason, then
 * removes staged work — in that order, so that a record that says FAILED has no password at rest
 * (a retry of this step repeats all three).
 */
export async function recordFailure(
  deps: PipelineDeps,
  input: ExportRef & { error: CaughtError },
): Promise<ExportRecord> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const record = await records.get(input.projectId, input.exportId);
  // Package recorded SUCCEEDED and then failed on its way out: the archive stands.
  if (record.status === 'SUCCEEDED') return record;
  return closeExport(deps, record, failureReason(input.error));
}
