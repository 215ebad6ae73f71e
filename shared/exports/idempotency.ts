import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { deleteKey, getVersionedText, putIfAbsent, putIfUnchanged } from '../aws/s3';
import { ConflictError, ValidationError } from '../errors';
import { newExportId } from './ids';
import type { ExportRecord } from './record';
import { validateRequest } from './request';
import { startExport, type StartDeps } from './start';
import { findRecord } from './table';

/** What an Idempotency-Key remembers: which export it made, and what body it was sent with. */
interface IdempotencyEntry {
  exportId: string;
  /** sha256 of the body without its password, keys sorted, so that spacing and order do not matter. */
  bodyHash: string;
  /** The password is compared through a salted scrypt hash: the entry never holds it. */
  password: { salt: string; hash: string } | null;
  created_at: string;
}

export const idempotencyKey = (projectId: string, key: string) =>
  `exports/${projectId}/idempotency/${createHash('sha256').update(key).digest('hex')}.json`;

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long a claimed key without its export counts as a request in progress, not a stale key. */
const IN_FLIGHT_MS = 60_000;

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function passwordHash(password: string, salt: Buffer): Buffer {
  return scryptSync(password, salt, 32);
}

function fingerprint(
  body: Record<string, unknown>,
): Omit<IdempotencyEntry, 'exportId' | 'created_at'> {
  const { password, ...rest } = body;
  const salt = randomBytes(16);
  return {
    bodyHash: createHash('sha256').update(canonicalJson(rest)).digest('hex'),
    password:
      typeof password === 'string'
        ? { salt: salt.toString('base64'), hash: passwordHash(password, salt).toString('base64') }
        : null,
  };
}

function sameBody(entry: IdempotencyEntry, body: Record<string, unknown>): boolean {
  const { password, ...rest } = body;
  if (createHash('sha256').update(canonicalJson(rest)).digest('hex') !== entry.bodyHash)
    return false;
  if (entry.password === null || typeof password !== 'string')
    return entry.password === null && password === undefined;
  const expected = Buffer.from(entry.password.hash, 'base64');
  const actual = passwordHash(password, Buffer.from(entry.password.salt, 'base64'));
  return timingSafeEqual(expected, actual);
}

/** The entry a key holds, with the version read; an entry that does not parse is read again. */
async function readEntry(
  deps: StartDeps,
  entryKey: string,
): Promise<{ entry: IdempotencyEntry; etag: string } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const read = await getVersionedText(deps.s3, deps.exportBucket, entryKey);
    if (!read) return undefined;
    try {
      return { entry: JSON.parse(read.text) as IdempotencyEntry, etag: read.etag };
    } catch {
      // Only a store that can serve an object being written half-written gets here.
      if (attempt >= 3)
        throw new ConflictError('the Idempotency-Key is being written by another request');
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

/**
 * startExport behind an Idempotency-Key (DESIGN §12): the same key and body give back the same
 * export, the same key with another body is a ConflictError. The key is claimed before the export
 * starts, atomically (a conditional put: of concurrent first uses exactly one wins, the others see
 * its entry and answer with its export, or 409 while it is being created), and released if the
 * export could not start (a bad request may be corrected and retried under the same key). A key
 * whose export was deleted starts a new one, claimed by replacing exactly the stale entry read.
 */
export async function startExportIdempotently(
  deps: StartDeps,
  projectId: string,
  body: unknown,
  key: string,
): Promise<{ record: ExportRecord; replayed: boolean }> {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    throw new ValidationError(
      `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters long`,
    );
  // Schema problems are answered before the key is looked at, exactly as without a key.
  validateRequest(body);
  const request = body as Record<string, unknown>;
  const entryKey = idempotencyKey(projectId, key);
  const now = () => deps.now?.() ?? new Date();
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await readEntry(deps, entryKey);
    if (found) {
      if (!sameBody(found.entry, request))
        throw new ConflictError(
          `Idempotency-Key ${JSON.stringify(key)} was used with a different request body`,
        );
      const record = await findRecord(deps, projectId, found.entry.exportId);
      if (record) return { record, replayed: true };
      // The first request under this key may still be creating its export.
      if (now().getTime() - Date.parse(found.entry.created_at) < IN_FLIGHT_MS)
        throw new ConflictError(
          `a request with Idempotency-Key ${JSON.stringify(key)} is still being processed`,
        );
    }
    const at = now();
    const entry: IdempotencyEntry = {
      exportId: newExportId(at),
      ...fingerprint(request),
      created_at: at.toISOString(),
    };
    const text = JSON.stringify(entry);
    const claimed = found
      ? await putIfUnchanged(deps.s3, deps.exportBucket, entryKey, text, found.etag)
      : await putIfAbsent(deps.s3, deps.exportBucket, entryKey, text);
    // Lost the race to a concurrent request: its entry decides, on the next read.
    if (!claimed) continue;
    try {
      const record = await startExport(deps, projectId, body, entry.exportId);
      return { record, replayed: false };
    } catch (error) {
      await deleteKey(deps.s3, deps.exportBucket, entryKey).catch(() => undefined);
      throw error;
    }
  }
  throw new ConflictError(`Idempotency-Key ${JSON.stringify(key)} is in use`);
}
