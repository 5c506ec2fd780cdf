import { CollectorError } from './errors.js';
import type { CollectContext, CommonCollectorOptions } from './types.js';

export const DEFAULT_PROC_ROOT = '/proc';
export const DEFAULT_SYS_ROOT = '/sys';

/** Fills what the caller left out of `ctx` from the factory's options, then the defaults. */
export function resolveContext(
  ctx: Partial<CollectContext> | undefined,
  options: CommonCollectorOptions,
): CollectContext {
  return {
    procRoot: ctx?.procRoot ?? options.procRoot ?? DEFAULT_PROC_ROOT,
    sysRoot: ctx?.sysRoot ?? options.sysRoot ?? DEFAULT_SYS_ROOT,
    now: ctx?.now ?? Date.now,
  };
}

/** Seconds since the epoch, as the collector lines of tcollector carry them. */
export function timestampSeconds(ctx: CollectContext): number {
  return Math.floor(ctx.now() / 1000);
}

export function resolveInterval(collector: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new CollectorError(
      `${collector}: intervalSeconds must be a positive number of seconds, got ${value}`,
    );
  }
  return value;
}

export function checkRoot(collector: string, key: string, value: string | undefined): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new CollectorError(`${collector}: ${key} must be a non-empty path, got ${JSON.stringify(value)}`);
  }
}
