import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { deleteKey, getTextIfExists } from '../aws/s3';
import { classifyAwsError, ConflictError, ValidationError } from '../errors';
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

/**
 * startExport behind an Idempotency-Key (DESIGN §12): the same key and body give back the same
 * export, the same key with another body is a ConflictError. The key is claimed before the export
 * starts and released if the export could not start (a bad request may be corrected and retried
 * under the same key). A key whose export was deleted starts a new one.
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
  for (let attempt = 0; ; attempt++) {
    const text = await getTextIfExists(deps.s3, deps.exportBucket, entryKey);
    if (text !== undefined) {
      const entry = JSON.parse(text) as IdempotencyEntry;
      if (!sameBody(entry, request))
        throw new ConflictError(
          `Idempotency-Key ${JSON.stringify(key)} was used with a different request body`,
        );
      const record = await findRecord(deps, projectId, entry.exportId);
      if (record) return { record, replayed: true };
      // The first request under this key may still be creating its export.
      if (now().getTime() - Date.parse(entry.created_at) < IN_FLIGHT_MS)
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
    // Only a new key is claimed conditionally: on S3 a concurrent first use of the key loses the
    // race (412) and reads the winner's entry. A stale key (its export deleted) is overwritten.
    if (await claim(deps, entryKey, entry, text === undefined)) {
      try {
        const record = await startExport(deps, projectId, body, entry.exportId);
        return { record, replayed: false };
      } catch (error) {
        await deleteKey(deps.s3, deps.exportBucket, entryKey).catch(() => undefined);
        throw error;
      }
    }
    if (attempt >= 2) throw new ConflictError(`Idempotency-Key ${JSON.stringify(key)} is in use`);
  }
}

async function claim(
  deps: StartDeps,
  key: string,
  entry: IdempotencyEntry,
  onlyIfNew: boolean,
): Promise<boolean> {
  const body = JSON.stringify(entry);
  try {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.exportBucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ContentLength: Buffer.byteLength(body),
        ...(onlyIfNew ? { IfNoneMatch: '*' } : {}),
      }),
    );
    return true;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.$metadata?.httpStatusCode === 412 || e?.name === 'PreconditionFailed') return false;
    throw classifyAwsError(error, `writing ${key}`);
  }
}
