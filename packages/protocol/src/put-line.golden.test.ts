import { describe, expect, it } from 'vitest';
import golden from './__fixtures__/put-lines.golden.json' with { type: 'json' };
import type { DataPoint } from './data-point.js';
import { type PointResult, telnetPutError } from './errors.js';
import type { ProtocolOptions } from './options.js';
import { parsePutLine } from './put-line.js';
import { isDecimalFloat, looksLikeInteger } from './value.js';

/*
 * Every line in the fixture was run through OpenTSDB 2.4's own telnet put path (WordSplitter,
 * PutDataPointRpc.importDataPoint, TSDB.addPoint) under Java 17; `reply` is what that code answered.
 * Our parser must give the same answer, except for the two documented refusals:
 * dotted timestamps other than seconds.mmm, and Java-only float spellings (1.5f, 0x1p3, "1.5\t").
 */

interface Case {
  line: string;
  reply: string;
}

const PRE_VALUE_ERRORS =
  /^put: (illegal argument: (not enough arguments|empty metric name|invalid timestamp|empty value|invalid tag|duplicate tag)|invalid value: (Empty string|Just a sign|Value too long|Invalid character|Overflow))/;

function describeAccepted(point: DataPoint): string {
  const tags = Object.keys(point.tags)
    .sort()
    .map((k) => `${k}=${point.tags[k]}`)
    .join(', ');
  return `${point.metric} ${point.timestamp} {${tags}}`;
}

function check(c: Case, result: PointResult): void {
  const words = c.line.split(' ');
  const tsWord = words[2] ?? '';
  const valueWord = words[3] ?? '';
  const dottedTimestamp = words.length >= 5 && tsWord.includes('.') && !/^[0-9]+\.[0-9]{3}$/.test(tsWord);
  const javaOnlyFloat =
    words.length >= 5 && valueWord !== '' && !looksLikeInteger(valueWord) && !isDecimalFloat(valueWord);

  if (c.reply.startsWith('UNKNOWN ')) {
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe('Unrecognized command: ' + c.reply.slice(8));
    return;
  }
  const earlyError =
    c.reply.startsWith('put: illegal argument: not enough arguments') ||
    c.reply === 'put: illegal argument: empty metric name';
  if (dottedTimestamp && !earlyError) {
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('invalid_timestamp');
    return;
  }
  if (javaOnlyFloat && !PRE_VALUE_ERRORS.test(c.reply)) {
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(telnetPutError(result.error)).toBe(`put: invalid value: For input string: "${valueWord}"`);
    return;
  }
  if (c.reply.startsWith('OK ')) {
    expect(result.ok, result.ok ? '' : telnetPutError(result.error)).toBe(true);
    if (!result.ok) return;
    const m = /^OK (\S+) (\d+) (long|float|double)=(\S+) \{(.*)\}$/.exec(c.reply);
    expect(m).not.toBeNull();
    const [, metric, ts, kind, javaValue, tags] = m!;
    expect(describeAccepted(result.point)).toBe(`${metric} ${ts} {${tags}}`);
    expect(result.point.valueText).toBe(valueWord);
    const v = result.point.value;
    if (kind === 'long') {
      expect(BigInt(v)).toBe(BigInt(javaValue!));
      expect(typeof v).toBe(Number.isSafeInteger(Number(javaValue)) ? 'number' : 'bigint');
    } else if (kind === 'float') {
      expect(Math.fround(v as number)).toBe(Math.fround(Number(javaValue)));
    } else {
      expect(v).toBe(Number(javaValue));
    }
    return;
  }
  expect(result.ok).toBe(false);
  if (!result.ok) expect(telnetPutError(result.error)).toBe(c.reply);
}

describe('parsePutLine agrees with OpenTSDB 2.4 (golden replies from its own code)', () => {
  const cases = golden.default as Case[];
  it(`has a meaningful corpus (${cases.length} lines)`, () => {
    expect(cases.length).toBeGreaterThan(1000);
    expect(cases.filter((c) => c.reply.startsWith('OK ')).length).toBeGreaterThan(300);
  });
  it.each(cases.map((c) => [JSON.stringify(c.line), c] as const))('%s', (_name, c) => {
    check(c, parsePutLine(c.line));
  });
});

describe('with extraChars ":%" and maxTags 3 (tsd.core.tag.allow_specialchars, tsd.storage.max_tags)', () => {
  const options: ProtocolOptions = { extraChars: golden.custom.extraChars, maxTags: golden.custom.maxTags };
  const cases = golden.custom.cases as Case[];
  it.each(cases.map((c) => [JSON.stringify(c.line), c] as const))('%s', (_name, c) => {
    check(c, parsePutLine(c.line, options));
  });
});
