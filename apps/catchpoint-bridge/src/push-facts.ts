import type { CatchpointPush } from './payload.js';

/**
 * Reading the loosely typed sections of a push. Catchpoint's members differ per test type
 * and monitor; numbers sometimes arrive as strings, flags as `"True"`. What cannot be read
 * as a number is skipped, never taken as zero.
 */

const NUMERIC = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

export function numericValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.length <= 64 && NUMERIC.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function flagValue(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  return undefined;
}

export interface ErrorFacts {
  /** True when the run failed: `Any` or another flag set, or an error code present. */
  failed: boolean;
  /** Every boolean flag of `Summary.Error`, in document order (`Any`, `Dns`, `Timeout`...). */
  flags: Array<[name: string, set: boolean]>;
  /** `Summary.Error.Code` as text, when present and not zero. */
  code: string | undefined;
}

const NO_ERROR: ErrorFacts = { failed: false, flags: [], code: undefined };

export function errorFacts(push: CatchpointPush): ErrorFacts {
  const e = push.error;
  if (e === undefined) return NO_ERROR;
  const flags: Array<[string, boolean]> = [];
  let code: string | undefined;
  let failed = false;
  for (const key of Object.keys(e)) {
    const v = e[key];
    if (key === 'Code' || key === 'code') {
      if (typeof v === 'number' && Number.isFinite(v) && v !== 0) code = String(v);
      else if (typeof v === 'string' && v.trim() !== '' && v.trim() !== '0') code = v.trim();
      continue;
    }
    const f = flagValue(v);
    if (f !== undefined) {
      flags.push([key, f]);
      if (f) failed = true;
    }
  }
  if (code !== undefined) failed = true;
  return { failed, flags, code };
}
