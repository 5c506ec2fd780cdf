import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { identifyHash } from './password-hash.js';
import {
  compileMetricPatterns,
  createPrincipal,
  type Principal,
  SCOPES,
  validateForcedTags,
} from './principal.js';

/**
 * The credentials file (YAML, or JSON, which is YAML too):
 *
 * ```yaml
 * users:
 *   alice:
 *     password: scrypt$32768$8$1$...$...     # hashPassword(); Django formats work too
 *     scopes: [write, read]                  # default [write]
 *     metrics: ["sys.*", "app.alice.*"]      # default: every metric
 *     forcedTags: { tenant: alice }          # overrides what the client sends
 *     active: true                           # default true
 * tokens:
 *   - name: grafana
 *     sha256: 9f86d081884c7d65...            # hashToken(token); the token itself is never stored
 *     scopes: [read]
 *     expires: 2026-01-01T00:00:00Z          # optional, ISO 8601 with a zone
 * ```
 */
const scopes = z.array(z.enum(SCOPES as [string, ...string[]])).min(1, 'at least one scope is required');

const grantFields = {
  scopes: scopes.default(['write']),
  metrics: z.array(z.string()).optional(),
  forcedTags: z.record(z.string(), z.string()).optional(),
  active: z.boolean().default(true),
};

const userSchema = z.strictObject({
  // The value is never echoed in errors: a plaintext password pasted here must not reach logs.
  password: z.string().refine((value) => value.startsWith('!') || identifyHash(value) !== undefined, {
    message:
      'not a recognised password hash (scrypt$, pbkdf2_sha256$, pbkdf2_sha1$, argon2$, bcrypt_sha256$, bcrypt$); create one with hashPassword()',
  }),
  ...grantFields,
});

const tokenSchema = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(256),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be the 64 hex digits of the token SHA-256 (hashToken())')
    .transform((value) => value.toLowerCase()),
  expires: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' }).optional(),
  ...grantFields,
});

const fileSchema = z.strictObject({
  users: z
    .record(
      z.string().min(1, 'user name must not be empty').max(256, 'user name is longer than 256 characters'),
      userSchema,
    )
    .default({}),
  tokens: z.array(tokenSchema).default([]),
});

export type CredentialsFile = z.input<typeof fileSchema>;

export interface UserEntry {
  encoded: string;
  principal: Principal;
  active: boolean;
}

export interface TokenEntry {
  digest: Buffer;
  principal: Principal;
  active: boolean;
  expiresAt: number | undefined;
}

/** A validated, compiled credentials file: what stores look users and tokens up in. */
export interface CredentialTable {
  users: ReadonlyMap<string, UserEntry>;
  /** Keyed by the lowercase hex SHA-256 of the token. */
  tokens: ReadonlyMap<string, TokenEntry>;
  /** SHA-256 of the source text, to skip reloads that change nothing. */
  digest: string;
}

export type ParseConfigResult = { ok: true; table: CredentialTable } | { ok: false; errors: string[] };

/** Parses and validates a credentials file's text. Errors are `path: message` lines. */
export function parseCredentialsText(text: string): ParseConfigResult {
  let raw: unknown;
  try {
    raw = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 }) ?? {};
  } catch (error) {
    // Only the first line: yaml's message goes on to quote the file, which may hold secrets.
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return { ok: false, errors: [`(file): not valid YAML/JSON: ${first}`] };
  }
  return compileCredentials(raw, createHash('sha256').update(text).digest('hex'));
}

/** Validates an already-parsed credentials object (same schema as the file). */
export function compileCredentials(raw: unknown, digest = ''): ParseConfigResult {
  const errors: string[] = [];
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const users = (raw as { users?: unknown }).users;
    // zod drops an own `__proto__` key silently; refuse it loudly instead.
    if (users !== null && typeof users === 'object' && Object.hasOwn(users, '__proto__')) {
      errors.push('users.__proto__: reserved name');
    }
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: [...errors, ...formatIssues(parsed.error.issues)] };

  const users = new Map<string, UserEntry>();
  for (const [name, user] of Object.entries(parsed.data.users)) {
    const principal = buildPrincipal(`users.${name}`, name, user, errors);
    if (principal !== undefined) users.set(name, { encoded: user.password, principal, active: user.active });
  }

  const tokens = new Map<string, TokenEntry>();
  const names = new Set<string>();
  parsed.data.tokens.forEach((token, index) => {
    const path = `tokens[${index}]`;
    if (names.has(token.name)) errors.push(`${path}.name: duplicate token name '${token.name}'`);
    names.add(token.name);
    if (tokens.has(token.sha256)) errors.push(`${path}.sha256: the same token hash is listed twice`);
    const principal = buildPrincipal(path, token.name, token, errors);
    if (principal === undefined) return;
    tokens.set(token.sha256, {
      digest: Buffer.from(token.sha256, 'hex'),
      principal,
      active: token.active,
      expiresAt: token.expires === undefined ? undefined : Date.parse(token.expires),
    });
  });

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, table: { users, tokens, digest } };
}

function buildPrincipal(
  path: string,
  name: string,
  grant: {
    scopes: string[];
    metrics?: string[] | undefined;
    forcedTags?: Record<string, string> | undefined;
  },
  errors: string[],
): Principal | undefined {
  const before = errors.length;
  let metricPatterns: ReturnType<typeof compileMetricPatterns> | undefined;
  if (grant.metrics !== undefined) {
    metricPatterns = compileMetricPatterns(grant.metrics);
    if (!metricPatterns.ok) errors.push(...metricPatterns.errors.map((e) => `${path}.metrics${e}`));
  }
  if (grant.forcedTags !== undefined) {
    errors.push(...validateForcedTags(grant.forcedTags).map((e) => `${path}.forcedTags.${e}`));
  }
  if (errors.length > before) return undefined;
  return createPrincipal({
    name,
    scopes: grant.scopes as (typeof SCOPES)[number][],
    metricPatterns: metricPatterns?.ok ? metricPatterns.value : undefined,
    forcedTags: grant.forcedTags,
  });
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    let path = '';
    for (const key of issue.path) {
      if (typeof key === 'number') path += `[${key}]`;
      else path += path === '' ? String(key) : `.${String(key)}`;
    }
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    return `${path === '' ? '(file)' : path}: ${message}`;
  });
}
