import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Credentials,
  credentialsFromHeaders,
  extractTagCredentials,
  MAX_SECRET_LENGTH,
  parseAuthorization,
} from './credentials.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('parseAuthorization', () => {
  const cases: Array<[string, string, Credentials | { kind: 'invalid'; code: string }]> = [
    [
      'basic user:password',
      `Basic ${b64('alice:s3cret')}`,
      { kind: 'basic', user: 'alice', password: 's3cret' },
    ],
    [
      'scheme is case-insensitive',
      `bAsIc ${b64('alice:s3cret')}`,
      { kind: 'basic', user: 'alice', password: 's3cret' },
    ],
    [
      'extra spaces around',
      `  Basic   ${b64('alice:s3cret')}  `,
      { kind: 'basic', user: 'alice', password: 's3cret' },
    ],
    [
      'password keeps further colons',
      `Basic ${b64('alice:a:b:c')}`,
      { kind: 'basic', user: 'alice', password: 'a:b:c' },
    ],
    [
      'UTF-8 credentials',
      `Basic ${b64('jürgen:pässwörd🔑')}`,
      { kind: 'basic', user: 'jürgen', password: 'pässwörd🔑' },
    ],
    [
      'metrics:TOKEN form',
      `Basic ${b64('metrics:tok_123')}`,
      { kind: 'basic', user: 'metrics', password: 'tok_123' },
    ],
    [
      'empty user is token-only basic',
      `Basic ${b64(':tok_123')}`,
      { kind: 'basic', user: '', password: 'tok_123' },
    ],
    [
      'unpadded base64',
      `Basic ${b64('ab:c').replace(/=+$/, '')}`,
      { kind: 'basic', user: 'ab', password: 'c' },
    ],
    ['bearer', 'Bearer abc.DEF-123_~+/==', { kind: 'token', token: 'abc.DEF-123_~+/==' }],
    ['bearer lower-case scheme', 'bearer t0ken', { kind: 'token', token: 't0ken' }],
    ['bad base64 character', 'Basic YWxp!2U6cw==', { kind: 'invalid', code: 'bad_base64' }],
    ['base64 of impossible length', 'Basic YWxpY', { kind: 'invalid', code: 'bad_base64' }],
    ['padding in the middle', 'Basic YQ==YQ==', { kind: 'invalid', code: 'bad_base64' }],
    ['padding with wrong length', 'Basic YWJjZA=', { kind: 'invalid', code: 'bad_base64' }],
    [
      'not UTF-8',
      `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`,
      { kind: 'invalid', code: 'bad_utf8' },
    ],
    ['missing colon', `Basic ${b64('alicepassword')}`, { kind: 'invalid', code: 'missing_colon' }],
    ['empty password', `Basic ${b64('alice:')}`, { kind: 'invalid', code: 'empty_password' }],
    ['empty user and password', `Basic ${b64(':')}`, { kind: 'invalid', code: 'empty_password' }],
    [
      'control character in user',
      `Basic ${b64('ali\nce:pw')}`,
      { kind: 'invalid', code: 'control_character' },
    ],
    ['NUL in password', `Basic ${b64('alice:p\u0000w')}`, { kind: 'invalid', code: 'control_character' }],
    ['Basic without value', 'Basic', { kind: 'invalid', code: 'empty' }],
    ['Bearer without value', 'Bearer   ', { kind: 'invalid', code: 'empty' }],
    ['bearer with a space inside', 'Bearer abc def', { kind: 'invalid', code: 'malformed_token' }],
    ['bearer with a quote', 'Bearer "abc"', { kind: 'invalid', code: 'malformed_token' }],
    ['empty header', '   ', { kind: 'invalid', code: 'empty' }],
    ['digest scheme', 'Digest username="a"', { kind: 'invalid', code: 'unsupported_scheme' }],
    ['overlong header', `Bearer ${'a'.repeat(9000)}`, { kind: 'invalid', code: 'too_long' }],
    [
      'overlong password',
      `Basic ${b64(`u:${'p'.repeat(MAX_SECRET_LENGTH + 1)}`)}`,
      { kind: 'invalid', code: 'too_long' },
    ],
  ];

  it.each(cases)('%s', (_name, header, expected) => {
    const parsed = parseAuthorization(header);
    if (expected.kind === 'invalid') {
      expect(parsed).toMatchObject({ kind: 'invalid', code: expected.code });
      expect((parsed as { reason: string }).reason.length).toBeGreaterThan(0);
    } else {
      expect(parsed).toEqual(expected);
    }
  });

  it('never puts the secret into the reason', () => {
    const secrets = ['hunter2!', 'tok en', 'p\u0001w'];
    for (const secret of secrets) {
      for (const header of [`Basic ${b64(`alice:${secret}`)}`, `Bearer ${secret}`, `Basic ${b64(secret)}`]) {
        const parsed = parseAuthorization(header);
        if (parsed.kind === 'invalid') expect(parsed.reason).not.toContain(secret);
      }
    }
  });

  it('names an unknown scheme but not anything after it', () => {
    const parsed = parseAuthorization('Negotiate c2VjcmV0');
    expect(parsed).toMatchObject({ kind: 'invalid', code: 'unsupported_scheme' });
    expect((parsed as { reason: string }).reason).toContain("'negotiate'");
    expect((parsed as { reason: string }).reason).not.toContain('c2VjcmV0');
  });
});

describe('credentialsFromHeaders', () => {
  const basic = `Basic ${b64('alice:pw')}`;

  it.each([
    ['no credentials', {}, { kind: 'none' }],
    [
      'node-style lower-case object',
      { authorization: basic },
      { kind: 'basic', user: 'alice', password: 'pw' },
    ],
    ['any-case keys in a plain object', { Authorization: 'Bearer t' }, { kind: 'token', token: 't' }],
    ['X-Warp10-Token', { 'x-warp10-token': '  WRITE.token_1  ' }, { kind: 'token', token: 'WRITE.token_1' }],
    ['X-Warp10-Token any case', { 'X-Warp10-Token': 'abc' }, { kind: 'token', token: 'abc' }],
    ['undefined values are absent', { authorization: undefined, host: 'x' }, { kind: 'none' }],
  ] as const)('%s', (_name, headers, expected) => {
    expect(credentialsFromHeaders(headers)).toEqual(expected);
  });

  it('reads fetch/undici Headers', () => {
    expect(credentialsFromHeaders(new Headers({ Authorization: basic }))).toEqual({
      kind: 'basic',
      user: 'alice',
      password: 'pw',
    });
    expect(credentialsFromHeaders(new Headers({ 'X-Warp10-Token': 'tok' }))).toEqual({
      kind: 'token',
      token: 'tok',
    });
  });

  it.each([
    [
      'both Authorization and X-Warp10-Token',
      { authorization: 'Bearer a', 'x-warp10-token': 'b' },
      'ambiguous',
    ],
    ['two Authorization values', { authorization: ['Bearer a', 'Bearer b'] }, 'multiple_headers'],
    [
      'Authorization twice in different case',
      { authorization: 'Bearer a', Authorization: 'Bearer b' },
      'multiple_headers',
    ],
    ['two X-Warp10-Token values', { 'x-warp10-token': ['a', 'b'] }, 'multiple_headers'],
    ['empty X-Warp10-Token', { 'x-warp10-token': '  ' }, 'empty'],
    ['X-Warp10-Token with a space', { 'x-warp10-token': 'a b' }, 'malformed_token'],
    ['X-Warp10-Token with non-ASCII', { 'x-warp10-token': 'tökén' }, 'malformed_token'],
  ] as const)('%s is invalid', (_name, headers, code) => {
    expect(credentialsFromHeaders(headers)).toMatchObject({ kind: 'invalid', code });
  });

  it('treats two Authorization headers joined by fetch Headers as invalid', () => {
    const headers = new Headers();
    headers.append('Authorization', 'Basic YTpi');
    headers.append('Authorization', 'Basic Yzpk');
    expect(credentialsFromHeaders(headers).kind).toBe('invalid');
  });
});

describe('extractTagCredentials', () => {
  it('returns the credentials and the tags without them', () => {
    const tags = { host: 'web01', user: 'alice', password: 's3cret', dc: 'lga' };
    const result = extractTagCredentials(tags);
    expect(result).toEqual({
      ok: true,
      credentials: { kind: 'basic', user: 'alice', password: 's3cret' },
      tags: { host: 'web01', dc: 'lga' },
    });
    expect(tags).toEqual({ host: 'web01', user: 'alice', password: 's3cret', dc: 'lga' });
  });

  it('passes tags without credentials through untouched (same object)', () => {
    const tags = { host: 'web01' };
    const result = extractTagCredentials(tags);
    expect(result).toEqual({ ok: true, credentials: undefined, tags });
    expect(result.ok && result.tags).toBe(tags);
  });

  it('honours custom tag names', () => {
    const result = extractTagCredentials(
      { u: 'bob', p: 'x', user: 'kept' },
      { userTag: 'u', passwordTag: 'p' },
    );
    expect(result).toEqual({
      ok: true,
      credentials: { kind: 'basic', user: 'bob', password: 'x' },
      tags: { user: 'kept' },
    });
  });

  it('keeps a __proto__ tag key as a plain key', () => {
    const tags = JSON.parse('{"__proto__": "x", "user": "a", "password": "b"}') as Record<string, string>;
    const result = extractTagCredentials(tags);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.getPrototypeOf(result.tags)).toBe(Object.prototype);
      expect(Object.hasOwn(result.tags, '__proto__')).toBe(true);
    }
  });

  it.each([
    ['password without user', { host: 'a', password: 'Zq9secret' }, 'password_without_user'],
    ['user without password', { host: 'a', user: 'alice' }, 'user_without_password'],
    ['empty user', { user: '', password: 'Zq9secret' }, 'empty_user'],
    ['empty password', { user: 'alice', password: '' }, 'invalid'],
    [
      'Password in another case',
      { user: 'alice', password: 'Zq9secret', Password: 'Zq8secret' },
      'misspelled_password_tag',
    ],
    ['PASSWORD alone', { PASSWORD: 'Zq9secret' }, 'misspelled_password_tag'],
    ['control character in password', { user: 'alice', password: 'Zq9\u0007secret' }, 'invalid'],
  ] as const)('%s is refused', (_name, tags, code) => {
    const result = extractTagCredentials(tags);
    expect(result).toMatchObject({ ok: false, error: { code } });
    if (!result.ok) {
      for (const value of Object.values(tags))
        if (value.startsWith('Zq')) expect(result.error.message).not.toContain(value);
    }
  });
});

describe('parsers never throw', () => {
  it('parseAuthorization on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        const parsed = parseAuthorization(value);
        expect(['none', 'basic', 'token', 'invalid']).toContain(parsed.kind);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseAuthorization on Basic with arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const parsed = parseAuthorization(`Basic ${Buffer.from(bytes).toString('base64')}`);
        if (parsed.kind === 'basic') {
          expect(Buffer.from(`${parsed.user}:${parsed.password}`, 'utf8').equals(Buffer.from(bytes))).toBe(
            true,
          );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('credentialsFromHeaders on arbitrary header objects', () => {
    const value = fc.oneof(
      fc.string(),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.constant(undefined),
      fc.integer(),
    );
    const name = fc.oneof(
      fc.constantFrom('authorization', 'Authorization', 'x-warp10-token', 'X-WARP10-TOKEN'),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 5 }), (headers) => {
        expect(() => credentialsFromHeaders(headers)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it('extractTagCredentials on arbitrary tags', () => {
    const key = fc.oneof(
      fc.constantFrom('user', 'password', 'Password', 'host'),
      fc.string({ maxLength: 10 }),
    );
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ maxLength: 20 }), { maxKeys: 6 }), (tags) => {
        const result = extractTagCredentials(tags);
        if (result.ok) {
          expect(Object.hasOwn(result.tags, 'user') && result.credentials !== undefined).toBe(false);
          expect(Object.hasOwn(result.tags, 'password')).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
