import { createPrincipal } from '@otsdb/auth';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FoundCredentials } from './credential-tags.js';
import { isRejection, maskPassword, WriteRules } from './write-rules.js';

const rules = new WriteRules(
  { user: 'user', password: 'password' },
  { maxTags: 8, tagsOptional: false, extraChars: '' },
);
const writer = createPrincipal({ name: 'alice', scopes: ['write'] });

function parse(line: string) {
  const found = new FoundCredentials();
  const r = rules.parseLine(line, found);
  if (isRejection(r)) return { reply: r.telnet, reason: r.reason };
  if (!r.ok) return { error: r.error.message };
  return {
    point: r.point,
    user: found.user,
    password: found.password,
    tagCount: found.tagCount,
    misspelled: found.misspelled,
  };
}

describe('WriteRules.parseLine', () => {
  it('keeps tag keys Object.prototype defines as ordinary tags when it takes the credentials off', () => {
    const r = parse('put m 1700000000 1 __proto__=x constructor=y user=alice password=s3cret');
    expect(r.point).toBeDefined();
    const tags = r.point!.tags;
    expect(Object.keys(tags).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(tags, '__proto__') && tags['__proto__']).toBe('x');
    expect(r.tagCount).toBe(2);
  });

  it('takes the credential tags off and keeps the others in order', () => {
    expect(parse('put sys.cpu 1700000000 42 host=a user=alice dc=x password=s3cret')).toEqual({
      point: {
        metric: 'sys.cpu',
        timestamp: 1_700_000_000,
        value: 42,
        valueText: '42',
        tags: { dc: 'x', host: 'a' },
      },
      user: 'alice',
      password: 's3cret',
      tagCount: 2,
      misspelled: undefined,
    });
  });

  it('keeps a line without credentials as parsed', () => {
    const r = parse('put m 1700000000 1.5 host=a');
    expect(r).toMatchObject({
      user: undefined,
      password: undefined,
      tagCount: 1,
      point: { tags: { host: 'a' } },
    });
  });

  it('accepts passwords with characters OpenTSDB refuses in tags (they never reach it)', () => {
    expect(parse('put m 1700000000 1 host=a user=bob password=p@ss:w0rd!#{}')).toMatchObject({
      user: 'bob',
      password: 'p@ss:w0rd!#{}',
      tagCount: 1,
      point: { tags: { host: 'a' } },
    });
  });

  it('leaves room for the two credential tags within the TSD limit', () => {
    const eight = 'a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8';
    expect(parse(`put m 1700000000 1 ${eight} user=u password=p`)).toMatchObject({ tagCount: 8 });
    // Nine real tags: parsed, counted, and refused later by admit() with the TSD's wording.
    expect(parse(`put m 1700000000 1 ${eight} i=9 user=u password=p@x`)).toMatchObject({ tagCount: 9 });
  });

  it.each([
    [
      'put m 1700000000 1 host=a user=u user=v password=p',
      "put: illegal argument: tag 'user' appears twice with different values",
    ],
    [
      'put m 1700000000 1 host=a user=u password=p password=q!',
      "put: illegal argument: tag 'password' appears twice with different values",
    ],
    ['put m x 1 host=a user=u password=p', "put: invalid value: Invalid character 'x' in x"],
    ['put m 1700000000 1 host=a b user=u password=s!cret', 'put: illegal argument: invalid tag: b'],
    ['put m 1700000000 abc host=a', "put: invalid value: Invalid character 'a' in abc"],
    ['put m 1700000000 1 host=a host=b', 'put: illegal argument: duplicate tag: host=b, tags={host=a}'],
    ['put m', 'put: illegal argument: not enough arguments (need least 3, got 1)'],
  ])('%s -> %s', (line, reply) => {
    expect(parse(line)).toMatchObject({ reply });
  });

  it('never quotes the password in an error', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[!-~]{1,20}$/),
        fc.constantFrom('put m 1700000000 1', 'put m x 1', 'put m 1700000000 v', 'put m 1700000000 1 bad'),
        (secret, head) => {
          const r = parse(`${head} host=a user=u password=${secret}`);
          if (!('reply' in r) || r.reply === undefined || secret.length < 3) return;
          // A secret that is a word of the reply anyway (`val` in "invalid value") proves nothing.
          const neutral = parse(`${head} host=a user=u password=${'#'.repeat(secret.length)}`);
          if ('reply' in neutral && neutral.reply?.includes(secret)) return;
          expect(r.reply).not.toContain(secret);
        },
      ),
    );
  });

  it('flags a password tag in another case', () => {
    expect(parse('put m 1700000000 1 host=a Password=x user=u')).toMatchObject({ misspelled: 'Password' });
  });
});

describe('WriteRules.admit', () => {
  const point = (tags: Record<string, string>) => ({
    metric: 'sys.cpu',
    timestamp: 1_700_000_000,
    value: 1,
    tags,
  });

  it('forces tags over the client ones and counts them', () => {
    const tenant = createPrincipal({ name: 't', scopes: ['write'], forcedTags: { tenant: 't1' } });
    const p = point({ tenant: 'other', host: 'a' });
    expect(rules.admit(p, 2, tenant)).toBeUndefined();
    expect(p.tags).toEqual({ tenant: 't1', host: 'a' });
  });

  it('applies the TSD tag rules to the point as it leaves the proxy', () => {
    expect(rules.admit(point({}), 0, writer)?.telnet).toBe(
      'put: illegal argument: Need at least one tag (metric=sys.cpu, tags={})',
    );
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v']));
    expect(rules.admit(point(nine), 9, writer)?.telnet).toMatch(
      /^put: illegal argument: Too many tags: 9 maximum allowed: 8, tags: /,
    );
    const forced = createPrincipal({ name: 'f', scopes: ['write'], forcedTags: { tenant: 'x' } });
    const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'v']));
    expect(rules.admit(point(eight), 8, forced)?.reason).toBe('invalid');
  });

  it('refuses without the write scope or outside the metric patterns', () => {
    const reader = createPrincipal({ name: 'grafana', scopes: ['read'] });
    expect(rules.admit(point({ host: 'a' }), 1, reader)).toEqual({
      reason: 'forbidden',
      message: "'grafana' may not write (no 'write' scope)",
      telnet: "put: forbidden: 'grafana' may not write (no 'write' scope)",
    });
    const limited = createPrincipal({ name: 'app', scopes: ['write'], metricPatterns: ['app.*'] });
    expect(rules.admit(point({ host: 'a' }), 1, limited)?.telnet).toBe(
      "put: forbidden: metric 'sys.cpu' is not among the metrics 'app' may write",
    );
  });
});

describe('maskPassword', () => {
  it('masks every password= value, in any case', () => {
    expect(maskPassword('tags={host=a, password=s3cret}', 'password')).toBe('tags={host=a, password=***}');
    expect(maskPassword('duplicate PASSWORD=a and password=b,c', 'password')).toBe(
      'duplicate PASSWORD=*** and password=***,c',
    );
    expect(maskPassword('nothing here', 'password')).toBe('nothing here');
  });
});
