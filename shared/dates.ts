/**
 * The one reading of date-times: request `dateRange`s and the store's timestamps (DESIGN §5),
 * both compared as instants, so that both sides of a comparison mean the same moment.
 */

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of an ISO-8601 date-time (RFC 3339's profile: `T`, seconds and
 * their fraction optional, and a time zone, `Z` or `±hh:mm`, required so that a range means the
 * same wherever it is read); undefined for anything else, and for dates the calendar does not
 * have (`2026-02-30`, `2026-13-01`, `T24:00`).
 */
export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second = 0] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const fraction = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const offsetHours = m[9] ? Number(m[9]) : 0;
  const offsetMinutes = m[10] ? Number(m[10]) : 0;
  const leap = year! % 4 === 0 && (year! % 100 !== 0 || year! % 400 === 0);
  // Day 0 of the next month is the last of this one; 2000 is a leap year, so February is 29 there.
  const lastDay = month === 2 ? (leap ? 29 : 28) : new Date(Date.UTC(2000, month!, 0)).getUTCDate();
  if (
    month! < 1 ||
    month! > 12 ||
    day! < 1 ||
    day! > lastDay ||
    hour! > 23 ||
    minute! > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  )
    return undefined;
  const date = new Date(Date.UTC(2000, month! - 1, day!, hour!, minute!, second, fraction));
  date.setUTCFullYear(year!);
  const sign = m[8] === '-' ? -1 : 1;
  return date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Milliseconds since the epoch of a store timestamp: a date-time as parseDateTime reads it, or a
 * date alone (`2026-03-07`, midnight UTC, as Date.parse reads it); undefined for anything else.
 */
export function parseStoreTime(text: string): number | undefined {
  return parseDateTime(DATE.test(text) ? `${text}T00:00:00Z` : text);
}
