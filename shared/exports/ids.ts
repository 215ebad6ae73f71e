import { createHash, randomBytes } from 'node:crypto';

/**
 * Export ids sort by creation time (DESIGN §12) and are valid execution names:
 * `20261124T180512345Z-3f9a1c0b`.
 */
export function newExportId(now: Date = new Date()): string {
  const time = now.toISOString().replace(/[-:.]/g, '');
  return `${time}-${randomBytes(4).toString('hex')}`;
}

export const EXPORT_ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

/**
 * An export id for a start that may be delivered more than once (S3 notifications are delivered
 * at least once): the same time and seed give the same id, so a repeated start is the same export.
 */
export function exportIdFor(at: Date, seed: string): string {
  const time = at.toISOString().replace(/[-:.]/g, '');
  return `${time}-${createHash('sha256').update(seed).digest('hex').slice(0, 8)}`;
}
