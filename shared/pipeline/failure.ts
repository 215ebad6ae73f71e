import { ERROR_TABLE } from '../errors';
import { closeExport } from '../exports/lifecycle';
import { RecordStore, type ExportRecord } from '../exports/record';
import { abortArchiveUpload } from './stitch';
import type { ExportRef, PipelineDeps } from './work';

/** What a Catch puts at `$.error`: the error's name and a cause (a Lambda's is JSON text). */
export interface CaughtError {
  Error?: string;
  Cause?: unknown;
}

/** Where a failure happened, for an operator to find its logs in one step. */
export interface FailureContext {
  /** The execution's ARN (`$$.Execution.Id`). */
  execution?: string;
}

type Reason = { code: string; message: string; details: string[] };

/** The request id a stage appends to an internal error's message (shared/observability). */
const REQUEST_ID = /\(request ([\w-]+)\)$/;

/**
 * Errors of the Lambda service and runtime, by the name Step Functions reports, and what a user
 * can do about each. Their names are not ours (shared/errors.ts), so they are matched here.
 */
const RUNTIME_FAILURES: Array<{
  names: RegExp;
  cause?: RegExp;
  reason: (where: string) => Reason;
}> = [
  {
    names: /^(States\.Timeout|Sandbox\.Timedout)$/,
    reason: (where) => ({
      code: 'Timeout',
      message: `a step of the export ran past its time limit and was stopped; an export of fewer items, or split into several, finishes in time${where}`,
      details: [],
    }),
  },
  {
    names: /^Lambda\.Unknown$|^Runtime\.ExitError$/,
    cause: /Task timed out after/,
    reason: (where) => ({
      code: 'Timeout',
      message: `a step of the export ran past its time limit and was stopped; an export of fewer items, or split into several, finishes in time${where}`,
      details: [],
    }),
  },
  {
    names: /^Runtime\.OutOfMemory$/,
    reason: (where) => ({
      code: 'OutOfMemory',
      message: `a step of the export ran out of memory; images or masks this large need an export of fewer items per shard${where}`,
      details: [],
    }),
  },
  {
    names: /^Lambda\.Unknown$|^Runtime\.ExitError$/,
    cause: /signal: killed|out of memory|JavaScript heap/i,
    reason: (where) => ({
      code: 'OutOfMemory',
      message: `a step of the export ran out of memory; images or masks this large need an export of fewer items per shard${where}`,
      details: [],
    }),
  },
  {
    names:
      /^(Lambda\.TooManyRequestsException|Lambda\.ServiceException|Lambda\.AWSLambdaException|Lambda\.SdkClientException|TransientError)$/,
    reason: (where) => ({
      code: 'Throttled',
      message: `the service was busy (throttled or temporarily unavailable) for longer than the export's retries waited; starting the export again later should succeed${where}`,
      details: [],
    }),
  },
];

function parseCause(error: CaughtError): {
  errorMessage?: string;
  message?: string;
  details?: string[];
} {
  if (typeof error.Cause === 'string') {
    try {
      const parsed = JSON.parse(error.Cause) as unknown;
      if (parsed && typeof parsed === 'object') return parsed as { errorMessage?: string };
    } catch {
      // A cause that is not JSON is a message.
    }
    return { errorMessage: error.Cause };
  }
  if (error.Cause && typeof error.Cause === 'object')
    return error.Cause as { errorMessage?: string };
  return {};
}

/**
 * The user-facing reason of a failure: our errors say what went wrong in their own words (file,
 * line and field); a timeout, an out-of-memory and a throttle that outlasted the retries each
 * have their own code and advice; anything else is an internal error that names the execution
 * and the request id (the function's log lines carry it), never internals.
 */
export function failureReason(error: CaughtError, context: FailureContext = {}): Reason {
  const code = error.Error ?? 'Error';
  const cause = parseCause(error);
  const message = cause.errorMessage ?? cause.message ?? '';
  if (code in ERROR_TABLE && code !== 'TransientError' && message) {
    return { code, message, details: Array.isArray(cause.details) ? cause.details : [] };
  }
  const where = context.execution ? ` (execution ${context.execution})` : '';
  for (const failure of RUNTIME_FAILURES) {
    if (failure.names.test(code) && (!failure.cause || failure.cause.test(message)))
      return failure.reason(where);
  }
  const requestId = REQUEST_ID.exec(message)?.[1];
  const parts = [
    context.execution ? `execution ${context.execution}` : undefined,
    requestId ? `request ${requestId}` : undefined,
  ].filter(Boolean);
  return {
    code: 'InternalError',
    message: `the export failed because of an internal error (${code})${parts.length ? `: ${parts.join(', ')}` : ''}`,
    details: [],
  };
}

/**
 * RecordFailure (DESIGN §11): aborts the archive's upload if package began one (a package that
 * timed out could not abort it itself), removes the password, records FAILED with a readable
 * reason, then removes staged work — in that order, so that a record that says FAILED has no
 * password at rest and no archive parts (a retry of this step repeats them all).
 *
 * A shard records its own failure (the Distributed Map then fails without its child's error):
 * the RecordFailure after the Map finds the export FAILED and keeps that reason, only cleaning
 * up again. `recorded` says whether this call is the one that ended the export.
 */
export async function recordFailure(
  deps: PipelineDeps,
  input: ExportRef & { error: CaughtError; execution?: string },
): Promise<{ record: ExportRecord; recorded: boolean }> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const record = await records.get(input.projectId, input.exportId);
  // Package recorded SUCCEEDED and then failed on its way out: the archive stands. A cancelled
  // export was cleaned up by its cancel.
  if (record.status === 'SUCCEEDED' || record.status === 'CANCELLED')
    return { record, recorded: false };
  await abortArchiveUpload(deps, input.exportId);
  if (record.status === 'FAILED' && record.error) {
    const finishedAt = record.finished_at ? new Date(record.finished_at) : null;
    return { record: await closeExport(deps, record, record.error, finishedAt), recorded: false };
  }
  const reason = failureReason(input.error, { execution: input.execution });
  return { record: await closeExport(deps, record, reason), recorded: true };
}
