import { fileURLToPath } from 'node:url';
import type { DataPoint } from '@otsdb/protocol';

/**
 * Points as tcollector's collector lines (`metric ts value k=v ...`, tags sorted), so expected
 * output in tests reads like what tcollector printed. Bigints are marked with a trailing `n` to
 * keep "exact beyond 2^53" visible in the expectations.
 */
export function lines(points: readonly DataPoint[]): string[] {
  return points.map((p) => {
    const value = typeof p.value === 'bigint' ? `${p.value}n` : String(p.value);
    const tags = Object.keys(p.tags)
      .sort()
      .map((k) => `${k}=${p.tags[k]}`);
    return [p.metric, String(p.timestamp), value, ...tags].join(' ');
  });
}

export const fixture = (name: string, tree: 'proc' | 'sys'): string =>
  fileURLToPath(new URL(`./${name}/${tree}`, import.meta.url));

/** The fixed clock of fixture tests: 2023-11-14T22:13:20.123Z. */
export const NOW_MS = 1_700_000_000_123;
export const TS = 1_700_000_000;

export function context(name: string): { procRoot: string; sysRoot: string; now: () => number } {
  return { procRoot: fixture(name, 'proc'), sysRoot: fixture(name, 'sys'), now: () => NOW_MS };
}
