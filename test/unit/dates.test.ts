import { describe, expect, it } from 'vitest';
import { parseDateTime, parseStoreTime } from '../../shared/dates';

/** Reproducible pseudo-random integers (a linear congruential generator). */
function randomInts(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % below;
  };
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

describe('parseDateTime', () => {
  it('gives the instant Date.parse gives for ISO-8601 date-times of every year, zone and fraction', () => {
    const next = randomInts(7);
    for (let n = 0; n < 5_000; n++) {
      const year = n % 10 === 0 ? next(100) : next(10_000);
      const month = 1 + next(12);
      const day = 1 + next(28);
      const zone =
        next(3) === 0 ? 'Z' : `${next(2) ? '+' : '-'}${pad(next(24), 2)}:${pad(next(60), 2)}`;
      const time = `${pad(next(24), 2)}:${pad(next(60), 2)}:${pad(next(60), 2)}.${pad(next(1000), 3)}`;
      const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}${zone}`;
      expect(parseDateTime(text), text).toBe(Date.parse(text));
    }
  });

  it('reads the last day of every month, 29 February in leap years only, and years before 100', () => {
    expect(parseDateTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDateTime('2000-02-29T12:00Z')).toBe(Date.UTC(2000, 1, 29, 12));
    expect(parseDateTime('1900-02-29T00:00:00Z')).toBeUndefined();
    expect(parseDateTime('2026-02-29T00:00:00Z')).toBeUndefined();
    expect(parseDateTime('2026-04-30T23:59:59Z')).toBe(Date.UTC(2026, 3, 30, 23, 59, 59));
    expect(parseDateTime('2026-04-31T00:00:00Z')).toBeUndefined();
    expect(parseDateTime('2026-12-31T00:00:00.123456789Z')).toBe(Date.UTC(2026, 11, 31) + 123);
    expect(parseDateTime('0004-02-29T00:00:00Z')).toBe(Date.parse('0004-02-29T00:00:00Z'));
    expect(parseDateTime('0000-01-01T00:00:00+01:00')).toBe(
      Date.parse('0000-01-01T00:00:00+01:00'),
    );
  });

  it('refuses what is not a date-time with a zone, and dates the calendar does not have', () => {
    for (const text of [
      '2026-03-07',
      '2026-03-07T10:00:00',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01T00:00:00+01:60',
      ' 2026-01-01T00:00:00Z',
    ])
      expect(parseDateTime(text), text).toBeUndefined();
  });
});

describe('parseStoreTime', () => {
  it('reads a date alone as midnight UTC, and a date-time as parseDateTime does', () => {
    expect(parseStoreTime('2026-03-07')).toBe(Date.UTC(2026, 2, 7));
    expect(parseStoreTime('2026-03-07T10:00:00+02:00')).toBe(Date.UTC(2026, 2, 7, 8));
    expect(parseStoreTime('2026-03-32')).toBeUndefined();
  });
});
