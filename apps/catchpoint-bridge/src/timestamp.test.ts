import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCatchpointTimestamp, parseCatchpointTimestamp } from './timestamp.js';

describe('parseCatchpointTimestamp', () => {
  it('reads yyyyMMddHHmmssfff as UTC, whatever the host time zone', () => {
    // 2016-02-26 01:04:49.609 UTC, the example in the NS1 bridge's source.
    expect(parseCatchpointTimestamp('20160226010449609')).toEqual({ ok: true, millis: 1456448689609 });
    expect(parseCatchpointTimestamp('19700101000000000')).toEqual({ ok: true, millis: 0 });
    expect(parseCatchpointTimestamp('20240229235959999')).toEqual({
      ok: true,
      millis: Date.UTC(2024, 1, 29, 23, 59, 59, 999),
    });
  });

  it.each([
    ['', 'expected 17 digits'],
    ['2016022601044960', 'expected 17 digits'],
    ['201602260104496090', 'expected 17 digits'],
    ['2016-02-26T01:04', 'expected 17 digits'],
    ['20161326010449609', 'not a valid UTC date'],
    ['20160230010449609', 'not a valid UTC date'],
    ['20230229010449609', 'not a valid UTC date'],
    ['20160226240449609', 'not a valid UTC date'],
    ['20160226016049609', 'not a valid UTC date'],
    ['19691231235959999', 'not a valid UTC date'],
  ])('refuses %j', (text, message) => {
    const r = parseCatchpointTimestamp(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });

  it('round-trips every millisecond from 1970 to 2200', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }), (ms) => {
        const text = formatCatchpointTimestamp(ms);
        expect(text).toMatch(/^\d{17}$/);
        expect(parseCatchpointTimestamp(text)).toEqual({ ok: true, millis: ms });
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with a plain regular-expression-and-Date reading on any 17 characters', () => {
    const reference = (text: string) => {
      const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/.exec(text);
      if (m === null) return 'malformed';
      const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return 'invalid';
      const v = Date.UTC(y, mo - 1, d, h, mi, s, ms);
      const c = new Date(v);
      return c.getUTCDate() !== d || c.getUTCMonth() !== mo - 1 ? 'invalid' : v;
    };
    const text = fc.oneof(
      fc.stringMatching(
        /^(19[6-9]\d|2\d{3}|[0-9]{4})(0[0-9]|1[0-3])([0-3][0-9])([0-2][0-9])([0-6][0-9]){2}\d{3}$/,
      ),
      fc.stringMatching(/^\d{15,18}$/),
      fc.string({ minLength: 17, maxLength: 17 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        const r = parseCatchpointTimestamp(t);
        const expected = reference(t);
        if (typeof expected === 'number') expect(r).toEqual({ ok: true, millis: expected });
        else
          expect(r.ok === false && r.message).toContain(
            expected === 'malformed' ? 'expected 17 digits' : 'not a valid UTC date',
          );
      }),
      { numRuns: 5000 },
    );
  });
});
