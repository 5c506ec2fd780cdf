import { describe, expect, it } from 'vitest';
import { compileCredentials, parseCredentialsText } from './credentials-config.js';
import { hashToken } from './token.js';

// A syntactically valid hash; these tests never verify passwords.
const HASH = 'pbkdf2_sha256$1000$salt$bm90LWEtcmVhbC1oYXNoLW5vdC1hLXJlYWwtaGFzaA==';
const TOKEN_HASH = hashToken('read-token');

function errorsOf(text: string): string[] {
  const result = parseCredentialsText(text);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('parseCredentialsText', () => {
  it('compiles users and tokens with defaults', () => {
    const result = parseCredentialsText(`
users:
  alice:
    password: "${HASH}"
    metrics: ["sys.*"]
    forcedTags: { tenant: acme }
  bob:
    password: "${HASH}"
    scopes: [read, write]
    active: false
tokens:
  - name: grafana
    sha256: ${TOKEN_HASH.toUpperCase()}
    scopes: [read]
    expires: 2030-01-01T00:00:00Z
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const alice = result.table.users.get('alice');
    expect(alice?.active).toBe(true);
    expect([...(alice?.principal.scopes ?? [])]).toEqual(['write']);
    expect(alice?.principal.metricPatterns?.matches('sys.cpu')).toBe(true);
    expect(alice?.principal.forcedTags).toEqual({ tenant: 'acme' });
    expect(result.table.users.get('bob')?.active).toBe(false);
    const token = result.table.tokens.get(TOKEN_HASH);
    expect(token?.principal.name).toBe('grafana');
    expect(token?.expiresAt).toBe(Date.UTC(2030, 0, 1));
    expect(result.table.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts JSON (a subset of YAML) and an empty file', () => {
    const json = JSON.stringify({ users: { carol: { password: HASH } } });
    expect(parseCredentialsText(json).ok).toBe(true);
    const empty = parseCredentialsText('');
    expect(empty.ok && empty.table.users.size + empty.table.tokens.size).toBe(0);
  });

  it.each([
    ['unknown top-level field', `userz: {}`, ["(file): unknown field(s) 'userz'"]],
    [
      'unknown user field',
      `users: { a: { password: "${HASH}", admin: true } }`,
      ["users.a: unknown field(s) 'admin'"],
    ],
    ['bad scope', `users: { a: { password: "${HASH}", scopes: [root] } }`, [/^users\.a\.scopes\[0\]: /]],
    [
      'no scopes',
      `users: { a: { password: "${HASH}", scopes: [] } }`,
      ['users.a.scopes: at least one scope is required'],
    ],
    [
      'bad token hash',
      `tokens: [{ name: t, sha256: abc }]`,
      [/^tokens\[0\]\.sha256: must be the 64 hex digits/],
    ],
    [
      'bad expiry',
      `tokens: [{ name: t, sha256: ${TOKEN_HASH}, expires: tomorrow }]`,
      [/^tokens\[0\]\.expires: must be an ISO 8601/],
    ],
    [
      'bad metric pattern',
      `users: { a: { password: "${HASH}", metrics: ["ok.*", "no way"] } }`,
      [/^users\.a\.metrics\[1\]: pattern 'no way'/],
    ],
    [
      'bad forced tag',
      `users: { a: { password: "${HASH}", forcedTags: { tenant: "a b" } } }`,
      [/^users\.a\.forcedTags\.tenant: /],
    ],
    [
      'duplicate token name and hash',
      `tokens: [{ name: t, sha256: ${TOKEN_HASH} }, { name: t, sha256: ${TOKEN_HASH} }]`,
      ["tokens[1].name: duplicate token name 't'", 'tokens[1].sha256: the same token hash is listed twice'],
    ],
    [
      'duplicate YAML key',
      `users:\n  a: { password: "${HASH}" }\n  a: { password: "${HASH}" }\n`,
      [/^\(file\): not valid YAML\/JSON: Map keys must be unique/],
    ],
    ['not YAML', 'users: [1\n', [/^\(file\): not valid YAML\/JSON: /]],
    ['__proto__ user', `users:\n  __proto__: { password: "${HASH}" }\n`, ['users.__proto__: reserved name']],
    ['top level is a list', '- a\n- b\n', [/^\(file\): /]],
  ])('%s', (_name, text, expected) => {
    const errors = errorsOf(text);
    expect(errors).toHaveLength(expected.length);
    expected.forEach((want, index) => {
      if (typeof want === 'string') expect(errors[index]).toBe(want);
      else expect(errors[index]).toMatch(want);
    });
  });

  it('refuses a plaintext password without repeating it', () => {
    const errors = errorsOf('users:\n  alice:\n    password: Zq9-plaintext-secret\n');
    expect(errors).toEqual([
      expect.stringMatching(/^users\.alice\.password: not a recognised password hash/),
    ]);
    expect(errors.join('\n')).not.toContain('Zq9');
  });

  it('does not quote the file in YAML syntax errors', () => {
    const errors = errorsOf('users:\n  alice:\n    password: "Zq9-secret\n  bob: [\n');
    expect(errors.join('\n')).not.toContain('Zq9');
  });

  it('accepts an unusable password marker (a disabled login)', () => {
    expect(compileCredentials({ users: { a: { password: '!' } } }).ok).toBe(true);
  });
});
