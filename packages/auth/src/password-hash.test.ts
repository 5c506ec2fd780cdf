import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DjangoFixture, djangoCheckPasswords, makeDjangoUsers } from '../test/django-fixture.js';
import { AuthConfigError } from './errors.js';
import type { HashCostLimits } from './hash-types.js';
import { checkPassword, hashPassword, identifyHash, verifyPassword } from './password-hash.js';
import { configureWasmHashing, wasmHashingStats } from './wasm-hash-pool.js';

let fixture: DjangoFixture;

beforeAll(async () => {
  fixture = await makeDjangoUsers();
}, 60_000);

/** Small enough that any parameters a property test can produce hash in milliseconds. */
const CHEAP: Partial<HashCostLimits> = {
  maxPbkdf2Iterations: 2000,
  maxScryptMemoryBytes: 1024 * 1024,
  maxArgon2MemoryKiB: 256,
  maxArgon2TimeCost: 2,
  maxArgon2Parallelism: 4,
  maxBcryptCost: 5,
};

describe('Django hashes (made by Django 3.2 make_password)', () => {
  it('come from the real Django', () => {
    expect(fixture.django).toMatch(/^3\.2\./);
    expect(new Set(fixture.users.map((u) => u.algorithm))).toEqual(
      new Set(['pbkdf2_sha256', 'pbkdf2_sha1', 'argon2', 'bcrypt_sha256', 'bcrypt', 'unusable']),
    );
  });

  it('verify with the right password, for every hasher', async () => {
    const usable = [...fixture.users.filter((u) => u.algorithm !== 'unusable'), ...fixture.vectors];
    const results = await Promise.all(usable.map((u) => checkPassword(u.password, u.encoded)));
    results.forEach((result, index) => {
      expect(result, `${usable[index]?.algorithm}: ${JSON.stringify(result)}`).toEqual({
        ok: true,
        algorithm: usable[index]?.algorithm,
      });
    });
  });

  it('reject a wrong password', async () => {
    // bcrypt (plain) shares its comparison with bcrypt_sha256; leaving it out saves a cost-12 hash.
    const usable = fixture.users.filter((u) => u.algorithm !== 'unusable' && u.algorithm !== 'bcrypt');
    const results = await Promise.all(usable.map((u) => checkPassword(`${u.password}!`, u.encoded)));
    for (const result of results) expect(result).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('truncate plain bcrypt at 72 bytes exactly as Django does', async () => {
    const vector = fixture.vectors.find((v) => v.algorithm === 'bcrypt');
    expect(vector?.also_accepts).toBeDefined();
    expect(await verifyPassword(vector?.also_accepts ?? '', vector?.encoded ?? '')).toBe(true);
    expect(await verifyPassword((vector?.also_accepts ?? '').slice(0, 71), vector?.encoded ?? '')).toBe(
      false,
    );
  });

  it('refuse an unusable password (set_unusable_password)', async () => {
    const frank = fixture.users.find((u) => u.algorithm === 'unusable');
    expect(await checkPassword('anything', frank?.encoded ?? '')).toMatchObject({
      ok: false,
      reason: 'unusable',
    });
  });

  it('refuse NUL bytes with plain bcrypt (pyca/bcrypt refuses them too)', async () => {
    const erin = fixture.users.find((u) => u.algorithm === 'bcrypt');
    expect(await checkPassword(`${erin?.password}\u0000tail`, erin?.encoded ?? '')).toMatchObject({
      ok: false,
      reason: 'invalid_password',
    });
  });
});

describe('hashPassword', () => {
  it('round-trips scrypt (our format) with default parameters', async () => {
    const encoded = await hashPassword('correct horse');
    expect(encoded).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await checkPassword('correct horse', encoded)).toEqual({ ok: true, algorithm: 'scrypt' });
    expect(await checkPassword('correct horsE', encoded)).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('uses a fresh salt every time', async () => {
    const a = await hashPassword('same', { cost: 1024 });
    const b = await hashPassword('same', { cost: 1024 });
    expect(a).not.toBe(b);
  });

  it('round-trips scrypt for arbitrary passwords', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), async (password) => {
        const encoded = await hashPassword(password, { cost: 16, blockSize: 1 });
        expect(await verifyPassword(password, encoded)).toBe(true);
        expect(await verifyPassword(`${password}x`, encoded)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it('writes Django formats that Django itself accepts', async () => {
    const password = 'django compatible ✓';
    const encoded = await Promise.all([
      hashPassword(password, { algorithm: 'pbkdf2_sha256', iterations: 1000 }),
      hashPassword(password, { algorithm: 'pbkdf2_sha1', iterations: 1000 }),
      hashPassword(password, { algorithm: 'argon2', memoryCost: 1024, timeCost: 1, parallelism: 2 }),
      hashPassword(password, { algorithm: 'bcrypt_sha256', rounds: 4 }),
    ]);
    expect(encoded.map(identifyHash)).toEqual(['pbkdf2_sha256', 'pbkdf2_sha1', 'argon2', 'bcrypt_sha256']);
    const items = [
      ...encoded.map((e) => ({ password, encoded: e })),
      ...encoded.map((e) => ({ password: `${password}?`, encoded: e })),
    ];
    expect(await djangoCheckPasswords(items)).toEqual([true, true, true, true, false, false, false, false]);
    for (const e of encoded) expect(await verifyPassword(password, e)).toBe(true);
  });

  it('uses Django defaults for Django formats', async () => {
    const pbkdf2 = await hashPassword('x', { algorithm: 'pbkdf2_sha256', iterations: 10 });
    expect(pbkdf2).toMatch(/^pbkdf2_sha256\$10\$[a-zA-Z0-9]{22}\$[A-Za-z0-9+/]{43}=$/);
    const bcrypt = await hashPassword('x', { algorithm: 'bcrypt_sha256', rounds: 4 });
    expect(bcrypt).toMatch(/^bcrypt_sha256\$\$2b\$04\$[./A-Za-z0-9]{53}$/);
  });

  it.each([
    ['empty password', '', {}],
    ['unknown algorithm', 'x', { algorithm: 'md5' }],
    ['scrypt N not a power of two', 'x', { cost: 1000 }],
    ['pbkdf2 zero iterations', 'x', { algorithm: 'pbkdf2_sha256', iterations: 0 }],
    ['bcrypt rounds too high', 'x', { algorithm: 'bcrypt_sha256', rounds: 40 }],
    ['argon2 memory below 8·p', 'x', { algorithm: 'argon2', memoryCost: 8, parallelism: 2 }],
  ])('throws AuthConfigError for %s', async (_name, password, options) => {
    await expect(hashPassword(password, options as never)).rejects.toBeInstanceOf(AuthConfigError);
  });
});

describe('checkPassword on bad input', () => {
  it.each(
    [
      ['', 'unknown_format'],
      ['plaintext', 'unknown_format'],
      ['md5$salt$0123', 'unknown_format'],
      ['sha1$$0123', 'unknown_format'],
      ['$2b$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzA', 'unknown_format'],
      ['pbkdf2_sha256$', 'malformed'],
      ['pbkdf2_sha256$abc$salt$hash', 'malformed'],
      ['pbkdf2_sha256$-5$salt$hash', 'malformed'],
      ['pbkdf2_sha256$01000$salt$hash', 'malformed'],
      ['pbkdf2_sha256$1000$$hash', 'malformed'],
      ['pbkdf2_sha256$1000$salt$hash$extra', 'malformed'],
      ['pbkdf2_sha256$2000000000$salt$hash', 'too_costly'],
      ['scrypt$16384$8$1$c2FsdHNhbHQ', 'malformed'],
      ['scrypt$1000$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA', 'malformed'],
      ['scrypt$1048576$64$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA', 'too_costly'],
      ['scrypt$16384$salt$8$1$notbase64!', 'malformed'],
      ['argon2$argon2id$v=19$m=65536,t=2$c2FsdHNhbHQ$aGFzaA', 'malformed'],
      ['argon2$argon2id$v=19$m=65536,t=2,p=1,p=2$c2FsdHNhbHQ$aGFzaA', 'malformed'],
      ['argon2$argon2id$v=16$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', 'unsupported'],
      ['argon2$argon2i$m=512,t=2,p=2$c2FsdHNhbHQ$aGFzaGhhc2g', 'unsupported'],
      ['argon2$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', 'too_costly'],
      ['argon2$argon2x$v=19$m=512,t=2,p=2$c2FsdHNhbHQ$aGFzaGhhc2g', 'malformed'],
      ['bcrypt_sha256$$2b$12$short', 'malformed'],
      ['bcrypt_sha256$$2x$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzA', 'unsupported'],
      ['bcrypt$$2b$31$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzA', 'too_costly'],
      ['bcrypt$$2b$03$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzA', 'malformed'],
      ['!unusable', 'unusable'],
      [`pbkdf2_sha256$1000$${'s'.repeat(2000)}$hash`, 'malformed'],
    ].map(([encoded = '', reason]) => [
      encoded.length > 70 ? `${encoded.slice(0, 40)}…` : encoded,
      reason,
      encoded,
    ]),
  )('%s -> %s', async (_label, reason, encoded) => {
    const result = await checkPassword('Zq9-secret', encoded as string);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) {
      expect(result.message).not.toContain('Zq9');
      expect(result.message.length).toBeGreaterThan(0);
    }
  });

  it('refuses empty and overlong passwords without hashing', async () => {
    const encoded = 'pbkdf2_sha256$1000$salt$bm90LWEtcmVhbC1oYXNoLW5vdC1hLXJlYWwtaGFzaA==';
    expect(await checkPassword('', encoded)).toMatchObject({ ok: false, reason: 'invalid_password' });
    expect(await checkPassword('x'.repeat(5000), encoded)).toMatchObject({
      ok: false,
      reason: 'invalid_password',
    });
  });

  it('never throws and never accepts on arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 120 }),
        fc.string({ maxLength: 20 }),
        async (encoded, pw) => {
          const result = await checkPassword(pw, encoded, { limits: CHEAP });
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on near-valid hashes (known prefixes, random fields)', async () => {
    const field = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer({ min: 0, max: 5000 }).map(String),
      fc.constantFrom('v=19', 'm=64,t=1,p=1', 'm=8,t=1,p=1', 'c2FsdHNhbHQ', 'aGFzaGhhc2g', '2b', '04', ''),
      fc.base64String({ maxLength: 40 }),
    );
    const prefix = fc.constantFrom(
      'pbkdf2_sha256',
      'pbkdf2_sha1',
      'scrypt',
      'argon2$argon2id',
      'argon2$argon2i',
      'bcrypt$',
      'bcrypt_sha256$',
    );
    const encoded = fc
      .tuple(prefix, fc.array(field, { maxLength: 6 }))
      .map(([head, fields]) => [head, ...fields].join('$'));
    await fc.assert(
      fc.asyncProperty(encoded, fc.string({ maxLength: 10 }), async (e, pw) => {
        const result = await checkPassword(pw, e, { limits: CHEAP });
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 400 },
    );
  });

  it('accepts non-string input from JavaScript callers as a failure', async () => {
    expect(await checkPassword(undefined as never, 'pbkdf2_sha256$1$a$b')).toMatchObject({ ok: false });
    expect(await checkPassword('x', 42 as never)).toMatchObject({ ok: false });
  });
});

describe('identifyHash', () => {
  it.each([
    ['pbkdf2_sha256$1$a$b', 'pbkdf2_sha256'],
    ['bcrypt$$2b$...', 'bcrypt'],
    ['bcrypt_sha256$$2b$...', 'bcrypt_sha256'],
    ['argon2$argon2id$...', 'argon2'],
    ['scrypt$1$2$3$4$5', 'scrypt'],
    ['!abc', undefined],
    ['crypt$$ab', undefined],
    ['$2b$12$...', undefined],
  ])('%s', (encoded, algorithm) => {
    expect(identifyHash(encoded)).toBe(algorithm);
  });
});

describe('wasm hashing pool', () => {
  afterEach(() => configureWasmHashing({ workers: 1, maxQueued: 1024 }));

  it('computes the same argon2 and bcrypt results on workers and inline', async () => {
    const password = 'pool check';
    configureWasmHashing({ workers: 2 });
    const argon2 = await hashPassword(password, {
      algorithm: 'argon2',
      memoryCost: 1024,
      timeCost: 1,
      parallelism: 2,
    });
    const bcrypt = await hashPassword(password, { algorithm: 'bcrypt_sha256', rounds: 5 });
    const before = wasmHashingStats().completed;
    expect(await verifyPassword(password, argon2)).toBe(true);
    expect(await verifyPassword(password, bcrypt)).toBe(true);
    expect(await verifyPassword(`${password}!`, bcrypt)).toBe(false);
    expect(wasmHashingStats().completed).toBe(before + 3);
    configureWasmHashing({ workers: 0 });
    const inlineBefore = wasmHashingStats().completed;
    expect(await verifyPassword(password, argon2)).toBe(true);
    expect(await verifyPassword(password, bcrypt)).toBe(true);
    expect(await verifyPassword(`${password}!`, argon2)).toBe(false);
    expect(wasmHashingStats().completed).toBe(inlineBefore);
  });

  it('refuses work beyond its queue as an error, not a wrong answer', async () => {
    configureWasmHashing({ workers: 1, maxQueued: 1 });
    const encoded = await hashPassword('q', { algorithm: 'bcrypt_sha256', rounds: 6 });
    const results = await Promise.all([1, 2, 3, 4].map(() => checkPassword('q', encoded)));
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    expect(results.filter((r) => !r.ok)).toEqual([
      expect.objectContaining({ reason: 'error' }),
      expect.objectContaining({ reason: 'error' }),
    ]);
    expect(wasmHashingStats().rejectedQueueFull).toBeGreaterThanOrEqual(2);
  });
});
