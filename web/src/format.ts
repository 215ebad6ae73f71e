/** How the page writes values: times in the browser's time zone, sizes in binary units. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function timeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? date.format(new Date(iso)) : '—';
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function percentOf(progress: { done: number; total: number }, finished: boolean): number {
  if (finished) return 100;
  if (progress.total <= 0) return 0;
  return Math.min(100, Math.round((progress.done / progress.total) * 100));
}

const TYPE_LABELS = {
  both: 'Annotations + images',
  annotations: 'Annotations',
  datasets: 'Images',
};
export const typeLabel = (type: keyof typeof TYPE_LABELS): string => TYPE_LABELS[type];

export const humanise = (id: string): string => id.replace(/_/g, ' ');

/** What went wrong, in the words of the error itself. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
