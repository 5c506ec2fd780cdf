import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthConfigError } from './errors.js';
import {
  applyForcedTags,
  authorizeRead,
  authorizeWrite,
  compileMetricPatterns,
  createPrincipal,
  validateMetricPattern,
} from './principal.js';

function matcher(patterns: string[]) {
  const compiled = compileMetricPatterns(patterns);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.value;
}

describe('metric patterns', () => {
  it.each([
    [['sys.*'], 'sys.cpu.user', true],
    [['sys.*'], 'sys.', true],
    [['sys.*'], 'sys', false],
    [['sys.*'], 'system.cpu', false],
    [['sys.cpu'], 'sys.cpu', true],
    [['sys.cpu'], 'sys.cpu.user', false],
    [['*.count'], 'http.requests.count', true],
    [['*.count'], 'http.requests.counter', false],
    [['app.*.latency'], 'app.web.latency', true],
    [['app.*.latency'], 'app.web.db.latency', true],
    [['app.*.latency'], 'app.latency', false],
    [['app.?.x'], 'app.a.x', true],
    [['app.?.x'], 'app.ab.x', false],
    [['app.?'], 'app.日', true],
    [['a*b*c'], 'aXXbYYc', true],
    [['a*b*c'], 'aXXbYY', false],
    [['a**b'], 'ab', true],
    [['*'], 'anything.at/all', true],
    [['x.*', 'y.*'], 'y.z', true],
    [[], 'sys.cpu', false],
  ] as const)('%j matches %s: %s', (patterns, metric, expected) => {
    expect(matcher([...patterns]).matches(metric)).toBe(expected);
  });

  it('does not treat regex metacharacters specially', () => {
    expect(validateMetricPattern('sys.(a|b)')).toMatch(/may only contain/);
    expect(matcher(['sys.cpu']).matches('sysXcpu')).toBe(false);
  });

  it.each([
    ['', /empty/],
    ['has space', /may only contain/],
    ['a+b', /may only contain/],
    ['x'.repeat(300), /longer than/],
  ])('rejects pattern %j', (pattern, message) => {
    expect(validateMetricPattern(pattern)).toMatch(message);
    const compiled = compileMetricPatterns(['ok.*', pattern]);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.errors[0]).toMatch(/^\[1\]: /);
  });

  it('agrees with a reference regex on random inputs', () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '*', '?');
    const text = fc.constantFrom('a', 'b', '.');
    fc.assert(
      fc.property(
        fc.array(alphabet, { minLength: 1, maxLength: 8 }),
        fc.array(text, { maxLength: 10 }),
        (p, t) => {
          const pattern = p.join('');
          const metric = t.join('');
          const reference = new RegExp(
            `^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.')}$`,
            'u',
          );
          expect(matcher([pattern]).matches(metric)).toBe(reference.test(metric));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('stays fast on a pathological pattern (no exponential backtracking)', () => {
    // Linear-ish by construction; the assertion is on the result, the bound is the test timeout.
    const m = matcher(['*a*a*a*a*a*a*a*a*a*a*b']);
    expect(m.matches('a'.repeat(200))).toBe(false);
  });
});

describe('createPrincipal', () => {
  it('builds an immutable principal', () => {
    const principal = createPrincipal({
      name: 'alice',
      scopes: ['write'],
      metricPatterns: ['sys.*'],
      forcedTags: { tenant: 'acme' },
    });
    expect(principal.name).toBe('alice');
    expect([...principal.scopes]).toEqual(['write']);
    expect(principal.metricPatterns?.patterns).toEqual(['sys.*']);
    expect(principal.forcedTags).toEqual({ tenant: 'acme' });
    expect(Object.isFrozen(principal)).toBe(true);
    expect(() => (principal.scopes as Set<string>).add('read')).toThrow(TypeError);
    expect(() => (principal.scopes as Set<string>).clear()).toThrow(TypeError);
    expect(principal.scopes.has('read')).toBe(false);
  });

  it('collects every problem in one AuthConfigError', () => {
    let error: unknown;
    try {
      createPrincipal({
        name: 'bob',
        scopes: ['write', 'admin' as 'write'],
        metricPatterns: ['ok', 'bad pattern'],
        forcedTags: { 'bad key': 'v', tenant: 'bad value' },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuthConfigError);
    const errors = (error as AuthConfigError).errors;
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/^scopes: 'admin'/);
    expect(errors[1]).toMatch(/^metricPatterns\[1\]: /);
    expect(errors[2]).toMatch(/^forcedTags\.bad key: /);
    expect(errors[3]).toMatch(/^forcedTags\.tenant: tag value 'bad value'/);
  });
});

describe('authorization', () => {
  const writer = createPrincipal({
    name: 'writer',
    scopes: ['write'],
    metricPatterns: ['sys.*', 'app.web.*'],
  });
  const reader = createPrincipal({ name: 'reader', scopes: ['read'] });
  const both = createPrincipal({ name: 'both', scopes: ['write', 'read'] });

  it.each([
    [writer, 'sys.cpu.user', { ok: true }],
    [writer, 'app.web.hits', { ok: true }],
    [writer, 'app.db.hits', { ok: false, code: 'metric_not_allowed' }],
    [reader, 'sys.cpu.user', { ok: false, code: 'missing_scope' }],
    [both, 'anything', { ok: true }],
  ] as const)('authorizeWrite(%#)', (principal, metric, expected) => {
    expect(authorizeWrite(principal, { metric })).toMatchObject(expected);
  });

  it('authorizeRead checks the read scope and, when given, the metric', () => {
    expect(authorizeRead(reader)).toEqual({ ok: true });
    expect(authorizeRead(writer)).toMatchObject({ ok: false, code: 'missing_scope' });
    const limitedReader = createPrincipal({ name: 'lr', scopes: ['read'], metricPatterns: ['team.*'] });
    expect(authorizeRead(limitedReader, 'team.x')).toEqual({ ok: true });
    expect(authorizeRead(limitedReader, 'other.x')).toMatchObject({ ok: false, code: 'metric_not_allowed' });
  });

  it('names the metric and principal in the denial', () => {
    const denial = authorizeWrite(writer, { metric: 'secret.metric' });
    expect(denial.ok).toBe(false);
    if (!denial.ok)
      expect(denial.reason).toBe("metric 'secret.metric' is not among the metrics 'writer' may write");
  });
});

describe('applyForcedTags', () => {
  it('overrides what the client sent and keeps the rest', () => {
    const principal = createPrincipal({
      name: 't',
      scopes: ['write'],
      forcedTags: { tenant: 'acme', env: 'prod' },
    });
    const tags = { host: 'web01', tenant: 'evil' };
    expect(applyForcedTags(principal, tags)).toEqual({ host: 'web01', tenant: 'acme', env: 'prod' });
    expect(tags).toEqual({ host: 'web01', tenant: 'evil' });
  });

  it('returns the same object when nothing is forced', () => {
    const tags = { host: 'web01' };
    expect(applyForcedTags(createPrincipal({ name: 'x', scopes: ['write'] }), tags)).toBe(tags);
    expect(applyForcedTags(createPrincipal({ name: 'x', scopes: ['write'], forcedTags: {} }), tags)).toBe(
      tags,
    );
  });
});
