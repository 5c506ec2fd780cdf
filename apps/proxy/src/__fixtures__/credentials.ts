import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword, hashToken } from '@otsdb/auth';

export interface TestUser {
  name: string;
  password: string;
  scopes?: Array<'write' | 'read'>;
  metrics?: string[];
  forcedTags?: Record<string, string>;
  active?: boolean;
}

export interface TestToken {
  name: string;
  token: string;
  scopes?: Array<'write' | 'read'>;
  metrics?: string[];
  forcedTags?: Record<string, string>;
  expires?: string;
}

/** Writes an @otsdb/auth credentials file (cheap pbkdf2 hashes: tests, not production). */
export async function writeCredentials(
  dir: string,
  users: TestUser[],
  tokens: TestToken[] = [],
): Promise<string> {
  const file: { users: Record<string, unknown>; tokens: unknown[] } = { users: {}, tokens: [] };
  for (const u of users) {
    file.users[u.name] = {
      password: await hashPassword(u.password, { algorithm: 'pbkdf2_sha256', iterations: 1000 }),
      scopes: u.scopes ?? ['write'],
      ...(u.metrics === undefined ? {} : { metrics: u.metrics }),
      ...(u.forcedTags === undefined ? {} : { forcedTags: u.forcedTags }),
      ...(u.active === undefined ? {} : { active: u.active }),
    };
  }
  for (const t of tokens) {
    file.tokens.push({
      name: t.name,
      sha256: hashToken(t.token),
      scopes: t.scopes ?? ['write'],
      ...(t.metrics === undefined ? {} : { metrics: t.metrics }),
      ...(t.forcedTags === undefined ? {} : { forcedTags: t.forcedTags }),
      ...(t.expires === undefined ? {} : { expires: t.expires }),
    });
  }
  const path = join(dir, 'credentials.json');
  await writeFile(path, JSON.stringify(file, null, 2));
  return path;
}
