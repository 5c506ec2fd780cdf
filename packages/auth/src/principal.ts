import type { DataPoint, Tags } from '@otsdb/protocol';
import { AuthConfigError } from './errors.js';

export type Scope = 'write' | 'read';
export const SCOPES: readonly Scope[] = ['write', 'read'];

/** Glob patterns compiled once; `matches` is called per point. */
export interface MetricPatterns {
  readonly patterns: readonly string[];
  matches(metric: string): boolean;
}

/** Who a credential belongs to and what it may do. Immutable; shared between requests. */
export interface Principal {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  /** Absent: every metric. Present: only metrics matching one of the patterns. */
  readonly metricPatterns?: MetricPatterns;
  /** Tags set on every point written (and every query made), overriding what the client sent. */
  readonly forcedTags?: Readonly<Tags>;
}

export interface PrincipalSpec {
  name: string;
  scopes: Iterable<Scope>;
  /** Glob patterns, or patterns compiled once by compileMetricPatterns and shared between principals. */
  metricPatterns?: readonly string[] | MetricPatterns | undefined;
  forcedTags?: Tags | undefined;
}

export type AuthzDecision = { ok: true } | AuthzDenial;

export interface AuthzDenial {
  ok: false;
  code: 'missing_scope' | 'metric_not_allowed';
  reason: string;
}

const ALLOWED: AuthzDecision = Object.freeze({ ok: true });
const MAX_PATTERN_LENGTH = 256;
// OpenTSDB's metric and tag characters: letters, digits, - _ . / (Unicode letters included).
const NAME_CHARS = /^[\p{L}\p{N}\-_./]+$/u;
const PATTERN_CHARS = /^[\p{L}\p{N}\-_./*?]+$/u;

/** Checks one glob pattern: OpenTSDB metric characters plus `*` (any run, dots included) and `?` (one character). */
export function validateMetricPattern(pattern: string): string | undefined {
  if (typeof pattern !== 'string' || pattern === '') return 'pattern is empty';
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  if (!PATTERN_CHARS.test(pattern)) {
    return `pattern '${pattern}' may only contain letters, digits, - _ . / and the wildcards * ?`;
  }
  return undefined;
}

export type CompileResult = { ok: true; value: MetricPatterns } | { ok: false; errors: string[] };

export function compileMetricPatterns(patterns: readonly string[]): CompileResult {
  const errors: string[] = [];
  patterns.forEach((pattern, index) => {
    const error = validateMetricPattern(pattern);
    if (error !== undefined) errors.push(`[${index}]: ${error}`);
  });
  if (errors.length > 0) return { ok: false, errors };

  const exact = new Set<string>();
  const prefixes: string[] = [];
  const globs: string[][] = [];
  for (const pattern of patterns) {
    const star = pattern.indexOf('*');
    if (!pattern.includes('?') && star === -1) exact.add(pattern);
    else if (!pattern.includes('?') && star === pattern.length - 1) prefixes.push(pattern.slice(0, -1));
    else globs.push(Array.from(pattern.replace(/\*+/g, '*')));
  }
  const frozen = Object.freeze([...patterns]);
  return {
    ok: true,
    value: {
      patterns: frozen,
      matches(metric: string): boolean {
        if (exact.has(metric)) return true;
        for (const prefix of prefixes) if (metric.startsWith(prefix)) return true;
        if (globs.length === 0) return false;
        const chars = Array.from(metric);
        for (const glob of globs) if (globMatch(glob, chars)) return true;
        return false;
      },
    },
  };
}

/**
 * Iterative wildcard matching with one backtrack point: O(pattern × metric) in the worst case,
 * never exponential (a regex built from user globs could be).
 */
function globMatch(pattern: readonly string[], text: readonly string[]): boolean {
  let p = 0;
  let t = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (c !== undefined && (c === '?' || (c !== '*' && c === text[t]))) {
      p++;
      t++;
    } else if (c === '*') {
      starAt = p++;
      resumeAt = t;
    } else if (starAt !== -1) {
      p = starAt + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Builds an immutable principal; throws AuthConfigError for bad scopes, patterns or forced tags. */
export function createPrincipal(spec: PrincipalSpec): Principal {
  const errors: string[] = [];
  if (typeof spec.name !== 'string' || spec.name === '') errors.push('name: must be a non-empty string');
  const scopes = new Set<Scope>();
  for (const scope of spec.scopes) {
    if (!SCOPES.includes(scope)) errors.push(`scopes: '${String(scope)}' is not one of ${SCOPES.join(', ')}`);
    else scopes.add(scope);
  }
  let metricPatterns: MetricPatterns | undefined;
  if (isCompiled(spec.metricPatterns)) {
    metricPatterns = spec.metricPatterns;
  } else if (spec.metricPatterns !== undefined) {
    const compiled = compileMetricPatterns(spec.metricPatterns);
    if (compiled.ok) metricPatterns = compiled.value;
    else errors.push(...compiled.errors.map((e) => `metricPatterns${e}`));
  }
  let forcedTags: Readonly<Tags> | undefined;
  if (spec.forcedTags !== undefined) {
    errors.push(...validateForcedTags(spec.forcedTags).map((e) => `forcedTags.${e}`));
    if (Object.keys(spec.forcedTags).length > 0) forcedTags = Object.freeze({ ...spec.forcedTags });
  }
  if (errors.length > 0) {
    throw new AuthConfigError(
      'invalid_option',
      `invalid principal '${spec.name}': ${errors.join('; ')}`,
      errors,
    );
  }
  const principal: { -readonly [K in keyof Principal]: Principal[K] } = {
    name: spec.name,
    scopes: new FrozenSet(scopes),
  };
  if (metricPatterns !== undefined) principal.metricPatterns = metricPatterns;
  if (forcedTags !== undefined) principal.forcedTags = forcedTags;
  return Object.freeze(principal);
}

function isCompiled(value: PrincipalSpec['metricPatterns']): value is MetricPatterns {
  return (
    value !== undefined && !Array.isArray(value) && typeof (value as MetricPatterns).matches === 'function'
  );
}

/** Returns `key: message` lines for tag keys/values OpenTSDB would refuse. */
export function validateForcedTags(tags: Tags): string[] {
  const errors: string[] = [];
  for (const [key, value] of Object.entries(tags)) {
    if (!NAME_CHARS.test(key)) errors.push(`${key}: tag key may only contain letters, digits, - _ . /`);
    if (typeof value !== 'string' || !NAME_CHARS.test(value)) {
      errors.push(`${key}: tag value '${String(value)}' may only contain letters, digits, - _ . /`);
    }
  }
  return errors;
}

/** A Set whose mutators throw, so a shared principal cannot be widened by a caller. */
class FrozenSet<T> extends Set<T> {
  #sealed: boolean;
  constructor(values: Iterable<T>) {
    // Set's constructor would call the overridden add() before #sealed exists.
    super();
    for (const value of values) super.add(value);
    this.#sealed = true;
  }
  override add(value: T): this {
    if (this.#sealed) throw new TypeError('principal scopes are read-only');
    return super.add(value);
  }
  override delete(): boolean {
    throw new TypeError('principal scopes are read-only');
  }
  override clear(): void {
    throw new TypeError('principal scopes are read-only');
  }
}

export function authorizeWrite(principal: Principal, point: Pick<DataPoint, 'metric'>): AuthzDecision {
  return authorize(principal, 'write', point.metric);
}

/** Read access, optionally for one metric (a query's `m=` or a suggest prefix's resolved names). */
export function authorizeRead(principal: Principal, metric?: string): AuthzDecision {
  return authorize(principal, 'read', metric);
}

function authorize(principal: Principal, scope: Scope, metric: string | undefined): AuthzDecision {
  if (!principal.scopes.has(scope)) {
    return {
      ok: false,
      code: 'missing_scope',
      reason: `'${principal.name}' may not ${scope} (no '${scope}' scope)`,
    };
  }
  if (
    metric !== undefined &&
    principal.metricPatterns !== undefined &&
    !principal.metricPatterns.matches(metric)
  ) {
    return {
      ok: false,
      code: 'metric_not_allowed',
      reason: `metric '${metric}' is not among the metrics '${principal.name}' may ${scope}`,
    };
  }
  return ALLOWED;
}

/**
 * The tags to forward: the client's tags with the principal's forced tags on top (a client
 * sending `tenant=other` gets `tenant=<its own>`). Returns `tags` itself when nothing is forced.
 */
export function applyForcedTags(principal: Principal, tags: Tags): Tags {
  const forced = principal.forcedTags;
  if (forced === undefined) return tags;
  return { ...tags, ...forced };
}
