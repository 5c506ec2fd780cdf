import { checkAddPoint, sortedTags } from './add-point-rules.js';
import type { PointError, PointResult } from './errors.js';
import { parseJavaLong } from './java-long.js';
import { javaHashMapToString } from './java-map.js';
import type { ResolvedOptions } from './options.js';
import { parseValueText } from './value.js';

/**
 * The authoritative reading of a put line: OpenTSDB's `PutDataPointRpc.importDataPoint` followed
 * by `TSDB.addPoint`, step by step, over the words OpenTSDB's `WordSplitter` produced
 * (`words[0]` is the command). The first failing rule is reported with a TSD's exact message.
 * Slower than the scanner in put-line.ts, which defers to this whenever a line is not plainly valid.
 *
 * One deliberate difference: OpenTSDB drops every `.` from a timestamp before reading it, so
 * `1364410924.5` silently becomes 13644109245 ms (June 1970). Only the `sec.mmm` form with
 * exactly three decimals is accepted here; any other dotted timestamp is refused.
 */
export function applyPutRules(words: readonly string[], opts: ResolvedOptions): PointResult {
  const needed = opts.tagsOptional ? 4 : 5;
  if (words.length < needed) {
    return fail({
      code: 'invalid_line',
      message: 'not enough arguments (need least ' + (needed - 1) + ', got ' + (words.length - 1) + ')',
      value: words.join(' '),
      detail: `a put line is "put <metric> <timestamp> <value>${opts.tagsOptional ? '' : ' <tagk=tagv>'}...", got ${words.length - 1} fields`,
    });
  }
  const metric = words[1]!;
  if (metric.length === 0) {
    return fail({
      code: 'invalid_metric',
      message: 'empty metric name',
      value: '',
      detail: 'the metric name is empty (two spaces in a row after the command?)',
    });
  }

  const tsText = words[2]!;
  let digits = tsText;
  if (tsText.includes('.')) {
    if (!/^[0-9]+\.[0-9]{3}$/.test(tsText)) {
      return fail({
        code: 'invalid_timestamp',
        message: 'invalid timestamp: ' + tsText,
        value: tsText,
        detail: `timestamp ${JSON.stringify(tsText)} with a dot must be seconds.milliseconds with exactly 3 decimals`,
      });
    }
    digits = tsText.replace('.', '');
  }
  const ts = parseJavaLong(digits);
  if (!ts.ok) {
    return fail({
      code: 'invalid_timestamp',
      message: ts.message,
      category: 'invalid_value',
      value: tsText,
      detail: `timestamp ${JSON.stringify(tsText)} must be a positive integer (10 digits seconds, 13 milliseconds) or seconds.mmm`,
    });
  }
  if (ts.value <= 0n) {
    return fail({
      code: 'invalid_timestamp',
      message: 'invalid timestamp: ' + ts.value,
      value: tsText,
      detail: `timestamp ${tsText} must be greater than zero`,
    });
  }

  const valueText = words[3]!;
  if (valueText.length === 0) {
    return fail({
      code: 'invalid_value',
      message: 'empty value',
      value: '',
      detail: 'the value is empty (two spaces in a row after the timestamp?)',
    });
  }

  const entries: Array<[string, string]> = [];
  const seen = new Map<string, string>();
  for (let i = 4; i < words.length; i++) {
    const word = words[i]!;
    if (word.length === 0) continue;
    const eq = word.indexOf('=');
    if (eq <= 0 || eq === word.length - 1 || word.indexOf('=', eq + 1) >= 0) {
      return fail({
        code: 'invalid_tag',
        message: 'invalid tag: ' + word,
        value: word,
        detail: `tag ${JSON.stringify(word)} must be tagk=tagv with one "=" and both sides non-empty`,
      });
    }
    const k = word.slice(0, eq);
    const v = word.slice(eq + 1);
    const before = seen.get(k);
    if (before === v) continue;
    if (before !== undefined) {
      return fail({
        code: 'duplicate_tag',
        message: 'duplicate tag: ' + word + ', tags=' + javaHashMapToString(entries),
        value: word,
        detail: `tag ${k} is given twice with different values (${JSON.stringify(before)} and ${JSON.stringify(v)})`,
      });
    }
    seen.set(k, v);
    entries.push([k, v]);
  }

  const parsed = parseValueText(valueText);
  if (!parsed.ok) {
    return fail({
      code: 'invalid_value',
      message: parsed.message,
      category: 'invalid_value',
      value: valueText,
      detail: parsed.detail,
    });
  }
  const problem = checkAddPoint(metric, ts.value, parsed.value, parsed.float, entries, opts);
  if (problem !== undefined) return fail(problem);
  return {
    ok: true,
    point: {
      metric,
      timestamp: Number(ts.value),
      value: parsed.value,
      tags: sortedTags(entries),
      valueText,
    },
  };
}

/** OpenTSDB's `Tags.splitString(line, ' ')`: every single space splits, empty words included. */
export function splitWords(line: string): string[] {
  return line.split(' ');
}

/**
 * tcollector's `' '.join(line.split())`: runs of whitespace become one space, leading and trailing
 * whitespace goes. Collectors' lines are normalised this way before they reach a TSD.
 */
export function splitCollectorWords(line: string): string[] {
  const words = line.split(/[ \t\v\f\r\n]+/);
  if (words.length > 0 && words[0] === '') words.shift();
  if (words.length > 0 && words[words.length - 1] === '') words.pop();
  return words;
}

function fail(error: PointError): PointResult {
  return { ok: false, error };
}
