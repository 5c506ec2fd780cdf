import type { DataPoint } from '@otsdb/protocol';

/** Where a collection reads from, and its clock. */
export interface CollectContext {
  /** Mount point of the proc filesystem to read, e.g. `/proc` or `/host/proc` in a container. */
  procRoot: string;
  /** Mount point of sysfs, e.g. `/sys`. */
  sysRoot: string;
  /** Milliseconds since the epoch; points carry it truncated to whole seconds. */
  now(): number;
}

/**
 * A built-in collector. `collect` reads the kernel's files once and returns raw values: counters
 * stay counters (OpenTSDB rates them at query time, as with tcollector), so a collector keeps no
 * samples between calls. Tags never include `host`; the agent adds it with the other global tags.
 * A missing or unreadable file yields no points for it, a malformed line is skipped, and no value
 * is NaN, infinite or outside OpenTSDB's signed 64-bit range.
 */
export interface Collector {
  readonly name: string;
  /** How often the agent should call `collect` (tcollector's interval for the same collector). */
  readonly intervalSeconds: number;
  /** Fields left out of `ctx` fall back to the factory's options (`/proc`, `/sys`, `Date.now`). */
  collect(ctx?: Partial<CollectContext>): Promise<DataPoint[]>;
}

/** Options every collector factory accepts. */
export interface CommonCollectorOptions {
  /** Default `/proc`. */
  procRoot?: string;
  /** Default `/sys`. */
  sysRoot?: string;
  /** Overrides the collector's default interval (tcollector's). */
  intervalSeconds?: number;
}
