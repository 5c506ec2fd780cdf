/** Largest timestamp read as seconds: OpenTSDB's `Const.SECOND_MASK` leaves 32 bits for seconds. */
export const MAX_SECONDS = 0xffffffff;
/** Largest timestamp a TSD accepts at all (milliseconds, 13 digits). */
export const MAX_MILLIS = 9_999_999_999_999;

/**
 * OpenTSDB's rule: a timestamp that fits in 32 bits is in seconds, anything larger is already in
 * milliseconds (so a 10-digit value above 4294967295 counts as milliseconds, as in a TSD).
 */
export function toMillis(timestamp: number): number {
  return timestamp > MAX_SECONDS ? timestamp : timestamp * 1000;
}

/** Whether a timestamp is one a TSD stores: a positive integer up to 13 digits. */
export function isValidTimestamp(timestamp: number): boolean {
  return Number.isInteger(timestamp) && timestamp > 0 && timestamp <= MAX_MILLIS;
}
