import { describe, expect, it } from 'vitest';
import {
  type CredentialStore,
  chainStores,
  createAllowAllStore,
  createDenyAllStore,
  type VerifyResult,
} from './credential-store.js';
import { AuthConfigError } from './errors.js';
import { hashPassword } from './password-hash.js';
import { createPrincipal } from './principal.js';
import { createStaticStore } from './table-store.js';
import { generateToken, hashToken } from './token.js';

function fixed(user: VerifyResult, token: VerifyResult = user): CredentialStore & { closed: boolean } {
  return {
    closed: false,
    async verifyUser() {
      return user;
    },
    async verifyToken() {
      return token;
    },
    async close() {
      this.closed = true;
    },
  };
}

describe('allow-all and deny-all stores', () => {
  it('allow-all names the principal after the user and grants the configured scopes', async () => {
    const store = createAllowAllStore({ scopes: ['write'], forcedTags: { env: 'test' } });
    const result = await store.verifyUser('anyone', 'anything');
    expect(result.ok && result.principal.name).toBe('anyone');
    expect(result.ok && [...result.principal.scopes]).toEqual(['write']);
    expect(result.ok && result.principal.forcedTags).toEqual({ env: 'test' });
    const asToken = await store.verifyToken('whatever');
    expect(asToken.ok && asToken.principal.name).toBe('token');
  });

  it('allow-all validates its options up front', () => {
    expect(() => createAllowAllStore({ metricPatterns: ['bad pattern'] })).toThrow(AuthConfigError);
  });

  it('deny-all refuses with the given reason', async () => {
    expect(await createDenyAllStore().verifyUser('a', 'b')).toEqual({ ok: false, reason: 'unknown' });
    expect(await createDenyAllStore('unavailable').verifyToken('t')).toEqual({
      ok: false,
      reason: 'unavailable',
    });
  });
});

describe('chainStores', () => {
  const principal = createPrincipal({ name: 'p', scopes: ['write'] });

  it('returns the first success', async () => {
    const chain = chainStores([fixed({ ok: false, reason: 'unknown' }), fixed({ ok: true, principal })]);
    expect(await chain.verifyUser('a', 'b')).toEqual({ ok: true, principal });
  });

  it.each([
    [['unknown', 'bad_secret'], 'bad_secret'],
    [['inactive', 'bad_secret'], 'inactive'],
    [['unknown', 'unavailable', 'bad_secret'], 'unavailable'],
    [['unknown', 'unknown'], 'unknown'],
  ] as const)('combines failures %j into %s', async (reasons, expected) => {
    const chain = chainStores(reasons.map((reason) => fixed({ ok: false, reason })));
    expect(await chain.verifyToken('t')).toMatchObject({ ok: false, reason: expected });
  });

  it('closes every store and forwards change notifications', async () => {
    let changed = 0;
    const notifying: CredentialStore = {
      ...fixed({ ok: false, reason: 'unknown' }),
      onChange(listener) {
        listener();
        return () => undefined;
      },
    };
    const plain = fixed({ ok: false, reason: 'unknown' });
    const chain = chainStores([notifying, plain]);
    chain.onChange?.(() => changed++);
    expect(changed).toBe(1);
    await chain.close();
    expect(plain.closed).toBe(true);
  });
});

describe('createStaticStore', () => {
  it('serves users and tokens from an object with the file schema', async () => {
    const token = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const store = createStaticStore(
      {
        users: { alice: { password: await hashPassword('pw', { cost: 1024 }), scopes: ['read'] } },
        tokens: [{ name: 'ci', sha256: hashToken(token) }],
      },
      { equalizeTiming: false },
    );
    expect((await store.verifyUser('alice', 'pw')).ok).toBe(true);
    expect(await store.verifyUser('alice', 'nope')).toEqual({ ok: false, reason: 'bad_secret' });
    const ci = await store.verifyToken(token);
    expect(ci.ok && ci.principal.name).toBe('ci');
    expect(ci.ok && [...ci.principal.scopes]).toEqual(['write']);
  });

  it('still hashes once for unknown users by default (timing), and answers unknown', async () => {
    const store = createStaticStore({ users: {} });
    expect(await store.verifyUser('ghost', 'pw')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('throws AuthConfigError listing every problem', () => {
    let error: unknown;
    try {
      createStaticStore({ users: { a: { password: 'plain' } }, tokens: [{ name: '', sha256: 'x' }] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuthConfigError);
    expect((error as AuthConfigError).errors).toHaveLength(3);
  });

  it('hashToken is the hex SHA-256 of the token', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
