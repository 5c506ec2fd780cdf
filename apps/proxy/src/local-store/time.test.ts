import { describe, expect, it } from 'vitest';
import { parseDateTime, parseDuration } from './time.js';

const NOW = 1_700_002_800_000; // 2023-11-14T23:00:00Z

describe('parseDuration (DateTime.parseDuration)', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1n', 30 * 86_400_000], // a "month" is 30 days
    ['1y', 365 * 86_400_000], // a "year" is 365 days
    ['1H', 3_600_000], // the unit is case-insensitive
  ])('%s = %i ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['', 'Cannot parse null or empty duration'],
    ['1x', 'Invalid duration (suffix): 1x'],
    ['15', 'Invalid duration, must have an integer and unit: 15'],
    ['h', 'Invalid duration (number): h'],
    ['0s', 'Zero or negative duration: 0s'],
  ])('%s -> %s', (text, message) => {
    expect(parseDuration(text)).toEqual({ ok: false, message });
  });
});

describe('parseDateTime (DateTime.parseDateTimeString)', () => {
  it.each([
    ['now', NOW],
    ['1h-ago', NOW - 3_600_000],
    ['15m-ago', NOW - 900_000],
    ['1700002800', NOW], // up to 10 characters: seconds
    ['1700002800123', NOW + 123], // longer: milliseconds
    ['1700002800.123', NOW + 123],
    ['1700002800.5', 17_000_028_005], // a TSD just drops the dot; kept for fidelity
    ['1700002800ms', 1_700_002_800],
    ['2023/11/14-23:00:00', NOW],
    ['2023/11/14 23:00:00', NOW],
    ['2023/11/14-23:00', NOW],
    ['2023/11/14', NOW - 23 * 3_600_000],
    ['2023/13/01', Date.UTC(2024, 0, 1)], // lenient like SimpleDateFormat: month 13 rolls over
  ])('%s', (text, ms) => {
    expect(parseDateTime(text, NOW)).toEqual({ ok: true, ms });
  });

  it('absolute dates honour a time zone', () => {
    // November: New York is UTC-5.
    expect(parseDateTime('2023/11/14-18:00:00', NOW, 'America/New_York')).toEqual({ ok: true, ms: NOW });
    expect(parseDateTime('2023/07/01-00:00:00', NOW, 'Europe/Berlin')).toEqual({
      ok: true,
      ms: Date.UTC(2023, 5, 30, 22),
    });
  });

  it.each([
    ['abc', "Invalid time: abc. Invalid character 'a' in abc"],
    ['1x-ago', 'Invalid duration (suffix): 1x'],
    [
      '12345678901.5',
      'Invalid time: 12345678901.5. Millisecond timestamps must be in the format <seconds>.<ms> where the milliseconds are limited to 3 digits',
    ],
    ['2023/11/1', 'Invalid absolute date: 2023/11/1'],
    ['-5', 'Invalid time: -5. Negative timestamps are not supported.'],
  ])('%s -> %s', (text, message) => {
    expect(parseDateTime(text, NOW)).toEqual({ ok: false, error: { status: 400, message } });
  });

  it('an unknown zone is an error for absolute dates', () => {
    expect(parseDateTime('2023/11/14', NOW, 'Mars/Olympus')).toEqual({
      ok: false,
      error: { status: 400, message: 'Invalid timezone name: Mars/Olympus' },
    });
  });
});
