import { randomBytes } from 'node:crypto';

/**
 * Export ids sort by creation time (DESIGN §12) and are valid execution names:
 * `20261124T180512345Z-3f9a1c0b`.
 */
export function newExportId(now: Date = new Date()): string {
  const time = now.toISOString().replace(/[-:.]/g, '');
  return `${time}-${randomBytes(4).toString('hex')}`;
}

export const EXPORT_ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;
