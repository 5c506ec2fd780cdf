import { ProtocolError } from './errors.js';

export interface ProtocolOptions {
  /** Most tags a point may carry. Default 8 (OpenTSDB `tsd.storage.max_tags`). */
  maxTags?: number;
  /** Accept points with zero tags (VictoriaMetrics-style targets). Default false, as OpenTSDB. */
  tagsOptional?: boolean;
  /**
   * Extra characters allowed in metric names, tag keys and tag values, as OpenTSDB's
   * `tsd.core.tag.allow_specialchars`. Default none.
   */
  extraChars?: string;
}

export const DEFAULT_MAX_TAGS = 8;

/** Options checked once and turned into lookup tables for the per-line hot path. */
export interface ResolvedOptions {
  readonly maxTags: number;
  readonly tagsOptional: boolean;
  readonly extraChars: string;
  /** 1 where an ASCII code unit is allowed in names (base set plus ASCII extra characters). */
  readonly ascii: Uint8Array;
  /** `ascii` without blanks, 65536 entries, for scanning: a 0 sends the scanner to its slow branch. */
  readonly metricScan: Uint8Array;
  /** `metricScan` without `=`, for scanning tag keys and values. */
  readonly tagScan: Uint8Array;
}

const BASE_ASCII = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if (
      (c >= 97 && c <= 122) || // a-z
      (c >= 65 && c <= 90) || // A-Z
      (c >= 48 && c <= 57) || // 0-9
      c === 45 || // -
      c === 95 || // _
      c === 46 || // .
      c === 47 // /
    ) {
      table[c] = 1;
    }
  }
  return table;
})();

function scanTables(ascii: Uint8Array): { metricScan: Uint8Array; tagScan: Uint8Array } {
  // One entry per UTF-16 code unit (0 beyond ASCII): the scanner's loops test one lookup per
  // character and look at non-ASCII only when it is 0.
  const metricScan = new Uint8Array(65536);
  metricScan.set(ascii);
  for (const blank of [9, 10, 11, 12, 13, 32]) metricScan[blank] = 0;
  const tagScan = metricScan.slice();
  tagScan[61] = 0;
  return { metricScan, tagScan };
}

export const DEFAULT_OPTIONS: ResolvedOptions = Object.freeze({
  maxTags: DEFAULT_MAX_TAGS,
  tagsOptional: false,
  extraChars: '',
  ascii: BASE_ASCII,
  ...scanTables(BASE_ASCII),
});

// Callers usually pass the same options object on every call: remember the last one so the hot
// path pays one comparison, and a WeakMap for callers alternating between a few.
let lastInput: ProtocolOptions | undefined;
let lastResolved: ResolvedOptions = DEFAULT_OPTIONS;
const resolvedCache = new WeakMap<ProtocolOptions, ResolvedOptions>();

/**
 * Validates and compiles options. Throws `ProtocolError` (code `invalid_options`) for bad
 * configuration. The result is cached per options object, so mutate a copy, not the original.
 */
export function resolveOptions(options: ProtocolOptions | undefined): ResolvedOptions {
  if (options === undefined) return DEFAULT_OPTIONS;
  if (options === lastInput) return lastResolved;
  let resolved = resolvedCache.get(options);
  if (resolved === undefined) {
    resolved = compile(options);
    resolvedCache.set(options, resolved);
  }
  lastInput = options;
  lastResolved = resolved;
  return resolved;
}

function compile(options: ProtocolOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ProtocolError('invalid_options', 'protocol options must be an object');
  }
  const maxTags = options.maxTags ?? DEFAULT_MAX_TAGS;
  if (typeof maxTags !== 'number' || !Number.isInteger(maxTags) || maxTags < 1 || maxTags > 0x7fff) {
    // OpenTSDB keeps max_tags in a Java short and refuses anything below 1.
    throw new ProtocolError(
      'invalid_options',
      `maxTags must be an integer from 1 to 32767 (tsd.storage.max_tags), got ${String(maxTags)}`,
    );
  }
  const tagsOptional = options.tagsOptional ?? false;
  if (typeof tagsOptional !== 'boolean') {
    throw new ProtocolError('invalid_options', `tagsOptional must be a boolean, got ${String(tagsOptional)}`);
  }
  const extraChars = options.extraChars ?? '';
  if (typeof extraChars !== 'string') {
    throw new ProtocolError('invalid_options', `extraChars must be a string, got ${typeof extraChars}`);
  }
  if (maxTags === DEFAULT_MAX_TAGS && !tagsOptional && extraChars === '') return DEFAULT_OPTIONS;
  return Object.freeze({ maxTags, tagsOptional, extraChars, ...tablesFor(extraChars) });
}

type Tables = Pick<ResolvedOptions, 'ascii' | 'metricScan' | 'tagScan'>;
const DEFAULT_TABLES: Tables = {
  ascii: DEFAULT_OPTIONS.ascii,
  metricScan: DEFAULT_OPTIONS.metricScan,
  tagScan: DEFAULT_OPTIONS.tagScan,
};
// The tables depend on the extra characters only, and are 128 KiB: options objects made afresh
// with the same characters share them. Bounded: the oldest set is let go.
const tablesByExtraChars = new Map<string, Tables>();

function tablesFor(extraChars: string): Tables {
  if (extraChars === '') return DEFAULT_TABLES;
  let tables = tablesByExtraChars.get(extraChars);
  if (tables === undefined) {
    const ascii = BASE_ASCII.slice();
    for (let i = 0; i < extraChars.length; i++) {
      const c = extraChars.charCodeAt(i);
      if (c < 128) ascii[c] = 1;
    }
    tables = { ascii, ...scanTables(ascii) };
    if (tablesByExtraChars.size >= 16) tablesByExtraChars.delete(tablesByExtraChars.keys().next().value!);
    tablesByExtraChars.set(extraChars, tables);
  }
  return tables;
}

/**
 * Which ASCII code units a metric, tag key or tag value may hold under these options: OpenTSDB's
 * `Tags.validateString` set plus the ASCII `extraChars`, as 128 entries, 1 where allowed. For
 * encoders that check names while they copy them; a non-ASCII code unit still needs
 * `validatePoint` (it may be a letter). A fresh copy: changing it changes nothing here.
 */
export function asciiNameTable(options?: ProtocolOptions): Uint8Array {
  return resolveOptions(options).ascii.slice();
}
