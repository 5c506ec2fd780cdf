import { type DataPoint, encodePutBody, formatValue } from '@otsdb/protocol';
import type { TelnetTimestamps } from './options.js';

/**
 * Turns a validated point into the queue entry for the configured transport: a telnet put line
 * (without newline) or one JSON object of an /api/put array. Points are encoded when they are
 * accepted, so the queue holds immutable strings and a caller may reuse its tags object at once.
 *
 * `host` is the automatic host tag to add (the caller checked the point has none).
 */
export type EntryEncoder = (point: DataPoint, host: string | undefined) => string;

/** Largest timestamp in seconds (10 digits); anything above is milliseconds (OpenTSDB's rule). */
const MAX_SECONDS = 9_999_999_999;

/**
 * Telnet put line. Tags are written in the caller's order (a TSD does not care, and not sorting
 * keeps this cheap); the value text of a parsed line is written unchanged.
 */
export function telnetEncoder(timestamps: TelnetTimestamps): EntryEncoder {
  const asIs = timestamps === 'as-is';
  const toSeconds = timestamps === 'seconds';
  return (point, host) => {
    const ms = point.timestamp;
    let ts: string | number = ms;
    if (!asIs && ms > MAX_SECONDS) {
      const seconds = Math.floor(ms / 1000);
      if (toSeconds) ts = seconds;
      else {
        const rest = ms - seconds * 1000;
        // Exactly three digits: OpenTSDB drops the dot and reads the rest as milliseconds.
        ts = seconds + (rest < 10 ? '.00' : rest < 100 ? '.0' : '.') + rest;
      }
    }
    let line = 'put ' + point.metric + ' ' + ts + ' ' + (point.valueText ?? formatValue(point.value));
    const tags = point.tags;
    for (const key in tags) line += ' ' + key + '=' + tags[key];
    if (host !== undefined) line += ' host=' + host;
    return line;
  };
}

/** One JSON object as /api/put takes it (protocol's encoder: bigint exact, value text kept). */
export function jsonEncoder(): EntryEncoder {
  return (point, host) => {
    const withHost = host === undefined ? point : { ...point, tags: { ...point.tags, host } };
    const array = encodePutBody([withHost]);
    return array.slice(1, -1);
  };
}
