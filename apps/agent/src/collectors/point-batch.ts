import { type DataPoint, type MetricValue, seriesKey, type Tags } from '@otsdb/protocol';

// OpenTSDB's character rule for names and tag values: ASCII letters and digits, `-_./`, and
// Unicode letters. Java tests UTF-16 units, so a letter outside the BMP is refused: those are
// replaced too.
const TAG_VALUE_DISALLOWED = /[^-\w./\p{L}]|[\u{10000}-\u{10FFFF}]/gu;
const METRIC = /^[-\w./]+$/;

/**
 * A tag value taken from the kernel (interface, device, mount point, ...) in a form OpenTSDB
 * accepts: every character it refuses becomes `_`. tcollector printed such names unchanged, which
 * broke the line (a space in a mount point) or made the TSD refuse it.
 */
export function tagValue(raw: string): string {
  return raw.replace(TAG_VALUE_DISALLOWED, '_');
}

/**
 * The points of one collection, all at one timestamp; invalid values never get in, nor a second
 * point of a series (two kernel names that clean to the same tag value, like `tap#1` and
 * `tap_1`): the first one wins.
 */
export class PointBatch {
  readonly points: DataPoint[] = [];
  private readonly seen = new Set<string>();

  constructor(readonly timestamp: number) {}

  add(metric: string, value: MetricValue | undefined, tags: Tags = {}): void {
    if (value === undefined) return;
    if (typeof value === 'number' && !Number.isFinite(value)) return;
    if (!METRIC.test(metric)) return;
    const clean: Tags = {};
    for (const [key, raw] of Object.entries(tags)) {
      const v = tagValue(raw);
      if (v === '') return;
      clean[key] = v;
    }
    const key = seriesKey(metric, clean);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.points.push({ metric, timestamp: this.timestamp, value, tags: clean });
  }
}
