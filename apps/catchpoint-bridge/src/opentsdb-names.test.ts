import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitizeTagValue, snakeCase } from './opentsdb-names.js';

// OpenTSDB's own rule (Tags.validateString): ASCII letters and digits, - _ . /, and any
// single UTF-16 unit that is a letter.
function openTsdbAccepts(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (/[A-Za-z0-9\-_./]/.test(ch)) continue;
    if (c >= 0xd800 && c <= 0xdfff) return false;
    if (c >= 0x80 && /\p{L}/u.test(ch)) continue;
    return false;
  }
  return true;
}

describe('sanitizeTagValue', () => {
  it.each([
    ['Jinan', 'Jinan'],
    ['New York', 'New_York'],
    ['Jinan, CN - Unicom', 'Jinan_CN_-_Unicom'],
    ['Lumen (Level 3)', 'Lumen_Level_3'],
    ['  padded  ', 'padded'],
    ['São Paulo', 'São_Paulo'],
    ['東京', '東京'],
    ['a/b.c-d_e', 'a/b.c-d_e'],
    ['AT&T', 'AT_T'],
    ['!!!', ''],
    ['', ''],
    ['tab\tand\nnewline', 'tab_and_newline'],
    ['emoji 🚀 rocket', 'emoji_rocket'],
  ])('%j -> %j', (raw, expected) => {
    expect(sanitizeTagValue(raw)).toBe(expected);
  });

  it('keeps characters the TSD was configured to allow', () => {
    expect(sanitizeTagValue('a b:c', ' :')).toBe('a b:c');
    expect(sanitizeTagValue('a b:c', ':')).toBe('a_b:c');
  });

  it('cuts long values', () => {
    expect(sanitizeTagValue('x'.repeat(1000), '', 10)).toBe('xxxxxxxxxx');
  });

  it('always yields something OpenTSDB accepts, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (raw) => {
        const v = sanitizeTagValue(raw);
        expect(openTsdbAccepts(v)).toBe(true);
        expect(sanitizeTagValue(v)).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('snakeCase', () => {
  it.each([
    ['Total', 'total'],
    ['Dns', 'dns'],
    ['ContentLoad', 'content_load'],
    ['DocumentComplete', 'document_complete'],
    ['RenderStart', 'render_start'],
    ['DNSError', 'dns_error'],
    ['RoundTripTimeAvg', 'round_trip_time_avg'],
    ['TCPConnect', 'tcp_connect'],
    ['Http2Push', 'http2_push'],
    ['already_snake', 'already_snake'],
    ['with space', 'with_space'],
    ['dots.are.not.allowed', 'dots_are_not_allowed'],
    ['Ünïcode', 'n_code'],
    ['---', ''],
  ])('%j -> %j', (key, expected) => {
    expect(snakeCase(key)).toBe(expected);
  });

  it('only ever yields [a-z0-9_], without leading or trailing underscores', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (key) => {
        const s = snakeCase(key);
        expect(s).toMatch(/^(?:[a-z0-9](?:[a-z0-9_]*[a-z0-9])?)?$/);
      }),
      { numRuns: 2000 },
    );
  });
});
