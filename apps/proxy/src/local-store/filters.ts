import { javaSplit } from './java-text.js';

/** OpenTSDB 2.x's built-in tag value filter types (`TagVFilter` and its subclasses). */
export type FilterType =
  | 'literal_or'
  | 'iliteral_or'
  | 'not_literal_or'
  | 'not_iliteral_or'
  | 'wildcard'
  | 'iwildcard'
  | 'regexp';

export interface TagFilter {
  readonly type: FilterType;
  readonly tagk: string;
  /** The expression as the user gave it (after `type(...)` was stripped). */
  readonly filter: string;
  groupBy: boolean;
  /** Case-sensitive literal values: these must name tag values the store has seen. */
  readonly literals: readonly string[] | undefined;
  /** The series' value for `tagk` (undefined when the series lacks the key) -> match. */
  readonly match: (value: string | undefined) => boolean;
  /** Identity used for de-duplication, as the Java filters' `equals`. */
  readonly identity: string;
}

export type FilterResult = { ok: true; filter: TagFilter } | { ok: false; message: string };

/** Builds a filter the way `TagVFilter.Builder.build()` does, with the constructors' messages. */
export function buildFilter(type: string, tagk: string, filter: string, groupBy: boolean): FilterResult {
  if (type === '') return { ok: false, message: 'The filter type cannot be null or empty' };
  if (tagk === '') return { ok: false, message: 'The tagk cannot be null or empty' };
  switch (type) {
    case 'literal_or':
    case 'iliteral_or':
    case 'not_literal_or':
    case 'not_iliteral_or':
      return literalOr(type, tagk, filter, groupBy);
    case 'wildcard':
    case 'iwildcard':
      return wildcard(type, tagk, filter, groupBy);
    case 'regexp':
      return regexp(tagk, filter, groupBy);
    default:
      return { ok: false, message: 'Could not find a tag value filter of the type: ' + type };
  }
}

function literalOr(
  type: 'literal_or' | 'iliteral_or' | 'not_literal_or' | 'not_iliteral_or',
  tagk: string,
  filter: string,
  groupBy: boolean,
): FilterResult {
  if (filter === '') return { ok: false, message: 'Filter cannot be null or empty' };
  if (filter === '|') return { ok: false, message: 'Filter must contain more than just a pipe' };
  const insensitive = type === 'iliteral_or' || type === 'not_iliteral_or';
  const negate = type === 'not_literal_or' || type === 'not_iliteral_or';
  const values = javaSplit(filter, '|').map((v) => (insensitive ? v.toLowerCase() : v));
  const set = new Set(values);
  const match = negate
    ? // A series without the key passes `not_*` in the post-scan check; the scan itself still
      // requires the key (see selectSeries), so in effect the key must be present.
      (value: string | undefined) =>
        value === undefined || !set.has(insensitive ? value.toLowerCase() : value)
    : (value: string | undefined) =>
        value !== undefined && set.has(insensitive ? value.toLowerCase() : value);
  return {
    ok: true,
    filter: {
      type,
      tagk,
      filter,
      groupBy,
      literals: type === 'literal_or' ? [...set] : undefined,
      match,
      identity: type + '\u0000' + tagk + '\u0000' + [...set].sort().join('\u0000'),
    },
  };
}

/**
 * `TagVWildcardFilter`, including its matching quirk: components are searched for in order, but
 * the search position only advances by each component's length, not past where it was found.
 */
function wildcard(
  type: 'wildcard' | 'iwildcard',
  tagk: string,
  filter: string,
  groupBy: boolean,
): FilterResult {
  if (filter === '') return { ok: false, message: 'Filter cannot be null or empty' };
  const insensitive = type === 'iwildcard';
  let actual = insensitive ? filter.toLowerCase() : filter;
  if (!actual.includes('*')) return { ok: false, message: 'Filter must contain an asterisk' };
  let hasPostfix = false;
  let hasPrefix = false;
  if (actual.charAt(0) === '*') {
    hasPostfix = true;
    while (actual.charAt(0) === '*' && actual.length >= 2) actual = actual.slice(1);
  }
  if (actual.charAt(actual.length - 1) === '*') {
    hasPrefix = true;
    while (actual.charAt(actual.length - 1) === '*' && actual.length >= 2) actual = actual.slice(0, -1);
  }
  const components = actual.indexOf('*') > 0 ? actual.split('*') : [actual];
  const matchAll = components.length === 1 && components[0] === '*';
  const last = components[components.length - 1] ?? '';
  const first = components[0] ?? '';
  const match = (value: string | undefined): boolean => {
    if (value === undefined) return false;
    if (matchAll) return true;
    const v = insensitive ? value.toLowerCase() : value;
    if (hasPostfix && !hasPrefix && !v.endsWith(last)) return false;
    if (hasPrefix && !hasPostfix && !v.startsWith(first)) return false;
    let idx = 0;
    for (const c of components) {
      if (v.indexOf(c, idx) < 0) return false;
      idx += c.length;
    }
    return true;
  };
  return {
    ok: true,
    filter: {
      type,
      tagk,
      filter,
      groupBy,
      literals: undefined,
      match,
      identity: 'wildcard\u0000' + insensitive + '\u0000' + tagk + '\u0000' + components.join('\u0000'),
    },
  };
}

function regexp(tagk: string, filter: string, groupBy: boolean): FilterResult {
  if (filter === '') return { ok: false, message: 'Filter cannot be null or empty' };
  let pattern: RegExp;
  try {
    // Java's Matcher.find(): a match anywhere in the value. JavaScript's syntax is close to
    // java.util.regex for the patterns people use in tag filters; exotic constructs may differ.
    pattern = new RegExp(filter, 'u');
  } catch (e) {
    try {
      pattern = new RegExp(filter);
    } catch {
      return { ok: false, message: (e as Error).message };
    }
  }
  return {
    ok: true,
    filter: {
      type: 'regexp',
      tagk,
      filter,
      groupBy,
      literals: undefined,
      match: (value) => value !== undefined && pattern.test(value),
      identity: 'regexp\u0000' + tagk + '\u0000' + filter,
    },
  };
}

/**
 * `TagVFilter.getFilter` + `mapToFilters`: turns one `tagk=value` of the old tags form (or of a
 * query string's curly braces) into a filter: `type(expr)` names a filter, `*` alone is a
 * wildcard that only requires the key, any other `*` makes a case-insensitive wildcard, the
 * rest is a case-sensitive `literal_or` (`a|b` allowed).
 */
export function filterFromTagValue(tagk: string, value: string, groupBy: boolean): FilterResult {
  if (tagk === '') return { ok: false, message: 'Tagk cannot be null or empty' };
  if (value === '') return { ok: false, message: 'Filter cannot be null or empty' };
  if (value === '*') return buildFilter('wildcard', tagk, '*', groupBy);
  const paren = value.indexOf('(');
  if (paren > -1) {
    const prefix = value.slice(0, paren).toLowerCase();
    if (value.charAt(value.length - 1) !== ')')
      return { ok: false, message: "Filter must end with a ')': " + value };
    return buildFilter(prefix, tagk, value.slice(paren + 1, value.length - 1), groupBy);
  }
  if (value.includes('*')) return buildFilter('iwildcard', tagk, value, groupBy);
  return buildFilter('literal_or', tagk, value, groupBy);
}
