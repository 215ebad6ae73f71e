import { deleteKey, getObjectIfExists, getTextIfExists, putText } from '../aws/s3';
import {
  ERROR_TABLE,
  errorName,
  ExportError,
  PayloadTooLargeError,
  ValidationError,
} from '../errors';
import { MAX_BODY_BYTES } from '../api/body';
import { parseRequestKey, REQUEST_PREFIX, requestKeys, STATUS_SUFFIX } from '../store/keys';
import { exportIdFor } from './ids';
import { recordKeys, type ExportRecord } from './record';
import { startExport, type StartDeps } from './start';

/**
 * S3 request objects (DESIGN §12): `requests/{projectId}/{name}.json` in the data bucket holds the
 * same body as POST /exports; the outcome goes to `requests/{projectId}/{name}.status.json`.
 * The key layout and its checks are in shared/store/keys.ts.
 */
export { STATUS_SUFFIX } from '../store/keys';
/** Object metadata marking a request object this service rewrote (its password removed). */
export const PROCESSED_METADATA = 'annotation-export-processed';

export type RequestStatus =
  | {
      status: 'STARTED';
      request: string;
      projectId: string;
      exportId: string;
      format: string | null;
      record: string;
      at: string;
    }
  | {
      status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
      request: string;
      projectId: string;
      exportId: string;
      format: string | null;
      record: string;
      /** The archive's key in the export bucket and its size, once SUCCEEDED. */
      archive: { key: string; bytes: number } | null;
      error: { code: string; message: string; details: string[] } | null;
      at: string;
    }
  | {
      status: 'REJECTED' | 'ERROR';
      request: string;
      projectId: string;
      error: { code: string; message: string; details: string[] };
      /** Set when the request object was deleted because a password in it could not be removed. */
      requestDeleted?: true;
      at: string;
    };

export interface RequestObjectEvent {
  bucket: string;
  /** The key as S3 notifications carry it: URL-encoded, spaces as `+`. */
  key: string;
  eventTime?: string;
  /** Distinguishes writes of the same key; with the time it seeds the export id. */
  sequencer?: string;
  eTag?: string;
}

/** S3 notifications URL-encode keys, with `+` for spaces. */
export function decodeEventKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

function rejection(error: unknown): { code: string; message: string; details: string[] } {
  const name = errorName(error);
  const status = ERROR_TABLE[name]?.status ?? 500;
  if (error instanceof ExportError && status >= 400 && status < 500)
    return {
      code: name,
      message: error.message,
      details: error.details.length > 0 ? error.details : [error.message],
    };
  return { code: 'InternalError', message: 'the export could not be started', details: [] };
}

/** A request object as read for its notification, with the export it may start. */
interface RequestObject {
  bucket: string;
  key: string;
  projectId: string;
  name: string;
  statusKey: string;
  /** The same for every delivery of one notification: a repeated start is the same export. */
  exportId: string;
  at: Date;
  bytes: Buffer;
  /** The parsed body; undefined when it is not JSON. */
  body: unknown;
}

/**
 * Starts the export a request object asks for, or says why it cannot. Returns undefined for
 * objects that are not requests: status objects and request objects this function rewrote.
 * A password in the object goes to the secret store and the object is rewritten without it, once
 * the request is accepted or rejected. Failures of S3 or Step Functions are thrown (after writing
 * an ERROR status) so that the invocation is retried, with the same export id.
 */
export async function handleRequestObject(
  deps: StartDeps,
  event: RequestObjectEvent,
): Promise<RequestStatus | undefined> {
  const request = await readRequestObject(deps, event);
  if (!request) return undefined;
  const previous = await statusOfSameExport(deps, request);
  if (previous) return previous;
  let outcome: RequestStatus;
  let failure: unknown;
  try {
    outcome = await startRequested(deps, request);
  } catch (error) {
    outcome = refusal(request, error);
    failure = error;
  }
  // A failure of S3 or Step Functions leaves the object as it is, for the retried invocation.
  if (outcome.status !== 'ERROR') await removePasswordOf(deps, request, outcome);
  await putText(deps.s3, request.bucket, request.statusKey, JSON.stringify(outcome, null, 2));
  if (outcome.status === 'ERROR') throw failure;
  return outcome;
}

/** The request object of a notification; undefined for what is not one, or no longer. */
async function readRequestObject(
  deps: StartDeps,
  event: RequestObjectEvent,
): Promise<RequestObject | undefined> {
  const key = decodeEventKey(event.key);
  const parsed = parseRequestKey(key);
  if (!parsed) {
    // Nothing is read or written beside a key that could reach outside requests/{projectId}/.
    if (key.startsWith(REQUEST_PREFIX) && !key.endsWith(STATUS_SUFFIX))
      console.warn(
        JSON.stringify({
          level: 'warn',
          message: 'ignored an object that is not requests/{projectId}/{name}.json with safe names',
          key,
        }),
      );
    return undefined;
  }
  const object = await getObjectIfExists(deps.s3, event.bucket, key);
  // Deleted again before this ran, or rewritten by this function: nothing to start or answer.
  if (!object || object.metadata[PROCESSED_METADATA]) return undefined;
  const at = new Date();
  return {
    bucket: event.bucket,
    key,
    ...parsed,
    statusKey: requestKeys.status(parsed.projectId, parsed.name),
    exportId: exportIdFor(
      event.eventTime ? new Date(event.eventTime) : at,
      [event.bucket, key, event.sequencer ?? '', event.eTag ?? ''].join('\n'),
    ),
    at,
    bytes: object.bytes,
    body: parseJson(object.bytes),
  };
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The status a repeated delivery of the same notification finds: its export started (or has
 * ended since), so it exists and is not started again.
 */
async function statusOfSameExport(
  deps: StartDeps,
  request: RequestObject,
): Promise<RequestStatus | undefined> {
  const previous = await getTextIfExists(deps.s3, request.bucket, request.statusKey);
  const status = previous === undefined ? undefined : parseStatus(previous);
  return status && 'exportId' in status && status.exportId === request.exportId
    ? status
    : undefined;
}

async function startRequested(deps: StartDeps, request: RequestObject): Promise<RequestStatus> {
  if (request.bytes.byteLength > MAX_BODY_BYTES)
    throw new PayloadTooLargeError(
      `the request is ${request.bytes.byteLength} bytes; at most ${MAX_BODY_BYTES} are accepted`,
    );
  if (request.body === undefined) throw new ValidationError(`${request.key} is not valid JSON`);
  const { projectId } = request;
  const record = await startExport(deps, projectId, request.body, request.exportId, request.name);
  return {
    status: 'STARTED',
    request: request.key,
    projectId,
    exportId: record.id,
    format: record.format,
    record: recordKeys.record(projectId, record.id),
    at: request.at.toISOString(),
  };
}

/** REJECTED: the request cannot be started as it is; ERROR: S3 or Step Functions failed. */
function refusal(request: RequestObject, error: unknown): RequestStatus {
  const reason = rejection(error);
  return {
    status: reason.code === 'InternalError' ? 'ERROR' : 'REJECTED',
    request: request.key,
    projectId: request.projectId,
    error: reason,
    at: request.at.toISOString(),
  };
}

/** Leaves no password in an accepted or rejected request object; the status says if it went. */
async function removePasswordOf(
  deps: StartDeps,
  request: RequestObject,
  outcome: RequestStatus,
): Promise<void> {
  const marker = outcome.status === 'STARTED' ? outcome.exportId : 'rejected';
  if (await removePassword(deps, request.bucket, request.key, request.body, marker)) return;
  if (outcome.status !== 'REJECTED') return;
  outcome.requestDeleted = true;
  outcome.error.details = [
    ...outcome.error.details,
    `${request.key} was deleted: it is not a JSON object, so a password in it could not be removed`,
  ];
}

/** A status object as an earlier invocation wrote it; undefined when it is not readable. */
function parseStatus(text: string): RequestStatus | undefined {
  try {
    return JSON.parse(text) as RequestStatus;
  } catch {
    return undefined;
  }
}

/**
 * Leaves no password in a request object: one that is a JSON object is rewritten without its
 * `password`, marked so that its own notification is ignored. One that is not a JSON object (not
 * JSON at all, or an array, a string...) cannot be rewritten with any certainty that no password is
 * left in it (`"pass\u0077ord"` is `password` too): it is deleted, and false says so.
 */
async function removePassword(
  deps: StartDeps,
  bucket: string,
  key: string,
  body: unknown,
  marker: string,
): Promise<boolean> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    await deleteKey(deps.s3, bucket, key);
    return false;
  }
  if (!('password' in body)) return true;
  const { password: _password, ...rest } = body as Record<string, unknown>;
  await putText(deps.s3, bucket, key, JSON.stringify(rest, null, 2), 'application/json', {
    [PROCESSED_METADATA]: marker,
  });
  return true;
}

/**
 * The status object of an ended export that a request object started: SUCCEEDED (with the
 * archive's key and size), FAILED (with the reason) or CANCELLED, in place of STARTED.
 */
export async function recordEndedRequest(
  deps: { s3: StartDeps['s3']; dataBucket: string },
  record: ExportRecord,
  at: Date = new Date(),
): Promise<void> {
  if (!record.requestName) return;
  if (record.status !== 'SUCCEEDED' && record.status !== 'FAILED' && record.status !== 'CANCELLED')
    return;
  const status: RequestStatus = {
    status: record.status,
    request: requestKeys.request(record.projectId, record.requestName),
    projectId: record.projectId,
    exportId: record.id,
    format: record.format,
    record: recordKeys.record(record.projectId, record.id),
    archive: record.archive ? { key: record.archive.key, bytes: record.archive.bytes } : null,
    error: record.error,
    at: at.toISOString(),
  };
  await putText(
    deps.s3,
    deps.dataBucket,
    requestKeys.status(record.projectId, record.requestName),
    JSON.stringify(status, null, 2),
  );
}
