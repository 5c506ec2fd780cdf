import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir, waitFor } from '@otsdb/testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthConfigError } from './errors.js';
import { type FileStore, type FileStoreOptions, openFileStore, type ReloadResult } from './file-store.js';
import { hashPassword } from './password-hash.js';
import { hashToken } from './token.js';

let alicePassword: string;
let bobPassword: string;
let dir: TempDir;
let path: string;
const stores: FileStore[] = [];

beforeAll(async () => {
  // Cheap scrypt parameters: these tests are about the store, not the hash's cost.
  alicePassword = await hashPassword('alice-pw', { cost: 1024 });
  bobPassword = await hashPassword('bob-pw', { cost: 1024 });
});

beforeEach(async () => {
  dir = await makeTempDir('otsdb-auth-file-store-');
  path = join(dir.path, 'credentials.yaml');
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await dir.remove();
});

function file(options: { bob?: boolean; aliceActive?: boolean; extra?: string } = {}): string {
  return [
    'users:',
    '  alice:',
    `    password: "${alicePassword}"`,
    '    scopes: [write, read]',
    '    metrics: ["sys.*"]',
    '    forcedTags: { tenant: alice }',
    `    active: ${options.aliceActive ?? true}`,
    ...(options.bob ? ['  bob:', `    password: "${bobPassword}"`] : []),
    'tokens:',
    '  - name: grafana',
    `    sha256: ${hashToken('grafana-token')}`,
    '    scopes: [read]',
    '  - name: old-ci',
    `    sha256: ${hashToken('old-ci-token')}`,
    '    expires: 2024-06-01T00:00:00Z',
    '  - name: revoked',
    `    sha256: ${hashToken('revoked-token')}`,
    '    active: false',
    options.extra ?? '',
  ].join('\n');
}

async function open(options: Partial<FileStoreOptions> = {}): Promise<FileStore> {
  const store = await openFileStore({ path, watch: false, equalizeTiming: false, ...options });
  stores.push(store);
  return store;
}

describe('openFileStore', () => {
  it('verifies users and tokens from the file', async () => {
    await writeFile(path, file());
    const store = await open({ now: () => Date.UTC(2025, 0, 1) });

    const alice = await store.verifyUser('alice', 'alice-pw');
    expect(alice.ok).toBe(true);
    if (alice.ok) {
      expect(alice.principal.name).toBe('alice');
      expect([...alice.principal.scopes].sort()).toEqual(['read', 'write']);
      expect(alice.principal.forcedTags).toEqual({ tenant: 'alice' });
      expect(alice.principal.metricPatterns?.matches('sys.cpu')).toBe(true);
    }
    expect(await store.verifyUser('alice', 'wrong')).toEqual({ ok: false, reason: 'bad_secret' });
    expect(await store.verifyUser('nobody', 'alice-pw')).toEqual({ ok: false, reason: 'unknown' });

    const grafana = await store.verifyToken('grafana-token');
    expect(grafana.ok && grafana.principal.name).toBe('grafana');
    expect(grafana.ok && [...grafana.principal.scopes]).toEqual(['read']);
    expect(await store.verifyToken('grafana-tokeN')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.verifyToken('')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.verifyToken('old-ci-token')).toMatchObject({ ok: false, reason: 'inactive' });
    expect(await store.verifyToken('revoked-token')).toMatchObject({ ok: false, reason: 'inactive' });
    expect(store.stats()).toMatchObject({ users: 1, tokens: 3, reloads: 0, failedReloads: 0 });
  });

  it('accepts a token until its expiry, by the injected clock', async () => {
    await writeFile(path, file());
    let now = Date.UTC(2024, 4, 31, 23, 59, 59);
    const store = await open({ now: () => now });
    expect((await store.verifyToken('old-ci-token')).ok).toBe(true);
    now = Date.UTC(2024, 5, 1);
    expect(await store.verifyToken('old-ci-token')).toMatchObject({ ok: false, reason: 'inactive' });
  });

  it('reports an inactive user only after the right password', async () => {
    await writeFile(path, file({ aliceActive: false }));
    const store = await open();
    expect(await store.verifyUser('alice', 'alice-pw')).toMatchObject({ ok: false, reason: 'inactive' });
    expect(await store.verifyUser('alice', 'wrong')).toEqual({ ok: false, reason: 'bad_secret' });
  });

  it('refuses to start on an invalid or missing file', async () => {
    await writeFile(path, 'users:\n  alice:\n    password: plain-text\n');
    const error = await openFileStore({ path, watch: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthConfigError);
    expect((error as AuthConfigError).errors).toEqual([
      expect.stringMatching(/^users\.alice\.password: not a recognised password hash/),
    ]);
    expect((error as AuthConfigError).message).not.toContain('plain-text');

    const missing = await openFileStore({ path: join(dir.path, 'nope.yaml'), watch: false }).catch(
      (e: unknown) => e,
    );
    expect((missing as AuthConfigError).errors).toEqual([
      expect.stringMatching(/cannot read .*nope\.yaml: ENOENT$/),
    ]);
  });
});

describe('reload', () => {
  it('applies a valid change and notifies listeners once', async () => {
    await writeFile(path, file());
    const store = await open();
    let changes = 0;
    store.onChange?.(() => changes++);
    expect((await store.verifyUser('bob', 'bob-pw')).ok).toBe(false);

    await writeFile(path, file({ bob: true }));
    expect(await store.reload()).toEqual({ ok: true, changed: true, users: 2, tokens: 3 });
    expect((await store.verifyUser('bob', 'bob-pw')).ok).toBe(true);
    expect(changes).toBe(1);

    expect(await store.reload()).toEqual({ ok: true, changed: false, users: 2, tokens: 3 });
    expect(changes).toBe(1);
  });

  it('keeps the previous credentials when the new file is invalid, and reports why', async () => {
    await writeFile(path, file());
    const results: ReloadResult[] = [];
    const store = await open({ onReload: (result) => results.push(result) });

    await writeFile(path, file({ bob: true, extra: 'bogus: 1' }));
    const result = await store.reload();
    expect(result).toEqual({ ok: false, errors: ["(file): unknown field(s) 'bogus'"] });
    expect(results).toEqual([result]);
    expect((await store.verifyUser('alice', 'alice-pw')).ok).toBe(true);
    expect((await store.verifyUser('bob', 'bob-pw')).ok).toBe(false);
    expect(store.stats()).toMatchObject({
      failedReloads: 1,
      lastErrors: ["(file): unknown field(s) 'bogus'"],
    });

    await rm(path);
    expect(await store.reload()).toMatchObject({ ok: false, errors: [expect.stringContaining('ENOENT')] });
    expect((await store.verifyUser('alice', 'alice-pw')).ok).toBe(true);

    await writeFile(path, file({ bob: true }));
    expect(await store.reload()).toMatchObject({ ok: true, changed: true });
    expect((await store.verifyUser('bob', 'bob-pw')).ok).toBe(true);
    expect(store.stats()).toMatchObject({ reloads: 1, failedReloads: 2, lastErrors: [] });
  });

  it('runs concurrent reloads one after another', async () => {
    await writeFile(path, file());
    const store = await open();
    await writeFile(path, file({ bob: true }));
    const results = await Promise.all([store.reload(), store.reload(), store.reload()]);
    expect(results.map((r) => r.ok && r.changed)).toEqual([true, false, false]);
  });
});

describe('watching', () => {
  async function watched() {
    const results: ReloadResult[] = [];
    const store = await open({ watch: true, debounceMs: 50, onReload: (result) => results.push(result) });
    return { store, results };
  }

  it('reloads when the file is rewritten in place', async () => {
    await writeFile(path, file());
    const { store } = await watched();
    await writeFile(path, file({ bob: true }));
    await waitFor(async () => (await store.verifyUser('bob', 'bob-pw')).ok, {
      description: 'bob after in-place write',
    });
  });

  it('reloads when an editor replaces the file by rename, again and again', async () => {
    await writeFile(path, file());
    const { store } = await watched();
    for (const bob of [true, false, true]) {
      const temp = join(dir.path, '.credentials.yaml.swp');
      await writeFile(temp, file({ bob }));
      await rename(temp, path);
      await waitFor(async () => (await store.verifyUser('bob', 'bob-pw')).ok === bob, {
        description: `bob ${bob ? 'added' : 'removed'} after rename`,
      });
    }
  });

  it('keeps the old credentials while the file is broken or gone, then picks up the fix', async () => {
    await writeFile(path, file());
    const { store, results } = await watched();
    await writeFile(path, 'users: [\n');
    await waitFor(() => results.some((r) => !r.ok), { description: 'failed reload of the broken file' });
    expect((await store.verifyUser('alice', 'alice-pw')).ok).toBe(true);
    await rm(path);
    await waitFor(() => results.some((r) => !r.ok && r.errors[0]?.includes('ENOENT')), {
      description: 'ENOENT',
    });
    expect((await store.verifyUser('alice', 'alice-pw')).ok).toBe(true);
    await writeFile(path, file({ bob: true }));
    await waitFor(async () => (await store.verifyUser('bob', 'bob-pw')).ok, {
      description: 'bob after the fix',
    });
  });

  it('stops watching when closed', async () => {
    await writeFile(path, file());
    const { store, results } = await watched();
    await store.close();
    await writeFile(path, file({ bob: true }));
    // Nothing can be awaited for an event that must not happen: give the watcher several
    // debounce periods to misbehave, then check it did not.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(results).toEqual([]);
  });
});
