/**
 * OpenTSDB's rule (`Const.SECOND_MASK = 0xFFFFFFFF00000000L`): a timestamp with any bit set
 * above the low 32 is in milliseconds, anything that fits in 32 bits is in seconds.
 * Kept local until `@otsdb/protocol` exports `toMillis`; the two must agree.
 */
const MAX_SECONDS = 0xffffffff;

export function toMillis(timestamp: number): number {
  return timestamp > MAX_SECONDS ? timestamp : timestamp * 1000;
}
