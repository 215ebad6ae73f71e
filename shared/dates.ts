/**
 * The one reading of date-times: request `dateRange`s and the store's timestamps (DESIGN §5),
 * both compared as instants, so that both sides of a comparison mean the same moment.
 */

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const FOUR_CENTURIES_MS = 146_097 * 86_400_000;

/**
 * Milliseconds since the epoch of an ISO-8601 date-time (RFC 3339's profile: `T`, seconds and
 * their fraction optional, and a time zone, `Z` or `±hh:mm`, required so that a range means the
 * same wherever it is read); undefined for anything else, and for dates the calendar does not
 * have (`2026-02-30`, `2026-13-01`, `T24:00`).
 */
export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fraction = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  if (month < 1 || month > 12) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const lastDay = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (
    day < 1 ||
    day > lastDay ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  )
    return undefined;
  // Date.UTC reads the years 0-99 as 1900-1999: those are computed 400 years (one whole cycle of
  // the calendar, 146,097 days) later and moved back. No Date object: plan reads every timestamp.
  const early = year < 100;
  const utc =
    Date.UTC(early ? year + 400 : year, month - 1, day, hour, minute, second, fraction) -
    (early ? FOUR_CENTURIES_MS : 0);
  const sign = m[8] === '-' ? -1 : 1;
  return utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Milliseconds since the epoch of a store timestamp: a date-time as parseDateTime reads it, or a
 * date alone (`2026-03-07`, midnight UTC, as Date.parse reads it); undefined for anything else.
 */
export function parseStoreTime(text: string): number | undefined {
  return parseDateTime(DATE.test(text) ? `${text}T00:00:00Z` : text);
}
