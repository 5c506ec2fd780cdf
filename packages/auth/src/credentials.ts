import type { Tags } from '@otsdb/protocol';

/** What a client presented. Parsers never throw; a malformed credential is `invalid`. */
export type Credentials = NoCredentials | BasicCredentials | TokenCredentials | InvalidCredentials;

export interface NoCredentials {
  kind: 'none';
}

/**
 * A user and password (HTTP Basic, or `user`/`password` tags on a put line). The password may
 * also be a token: `https://metrics:TOKEN@host` authenticates as the token, whatever the user.
 * `user` is empty for `:TOKEN`, which can then only be a token.
 */
export interface BasicCredentials {
  kind: 'basic';
  user: string;
  password: string;
}

export interface TokenCredentials {
  kind: 'token';
  token: string;
}

export interface InvalidCredentials {
  kind: 'invalid';
  code: CredentialErrorCode;
  /** Says what was wrong; never contains the secret. */
  reason: string;
}

export type CredentialErrorCode =
  | 'ambiguous'
  | 'multiple_headers'
  | 'empty'
  | 'unsupported_scheme'
  | 'bad_base64'
  | 'bad_utf8'
  | 'missing_colon'
  | 'empty_password'
  | 'control_character'
  | 'malformed_token'
  | 'too_long';

/** Anything that looks like request headers: fetch/undici `Headers`, Node's `IncomingHttpHeaders`, a plain object. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** Longest Authorization / X-Warp10-Token header value considered. */
export const MAX_CREDENTIAL_HEADER_LENGTH = 8192;
/** Longest user name accepted anywhere (Django's limit is 150). */
export const MAX_USER_LENGTH = 256;
/** Longest password or token accepted anywhere; also bounds the work a hasher is asked to do. */
export const MAX_SECRET_LENGTH = 4096;

const NONE: NoCredentials = { kind: 'none' };
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// RFC 7617: neither user-id nor password may contain control characters.
const CONTROL = /[\x00-\x1f\x7f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(code: CredentialErrorCode, reason: string): InvalidCredentials {
  return { kind: 'invalid', code, reason };
}

/**
 * Reads `Authorization` (Basic or Bearer) and `X-Warp10-Token` (as hosted OpenTSDB/Warp 10
 * endpoints use it). Both present is `invalid` (ambiguous), not "pick one".
 */
export function credentialsFromHeaders(headers: HeaderSource): Credentials {
  const authorization = readHeader(headers, 'authorization');
  const warpToken = readHeader(headers, 'x-warp10-token');
  if (authorization === MULTIPLE) return invalid('multiple_headers', 'more than one Authorization header');
  if (warpToken === MULTIPLE) return invalid('multiple_headers', 'more than one X-Warp10-Token header');
  if (authorization !== undefined && warpToken !== undefined) {
    return invalid('ambiguous', 'both Authorization and X-Warp10-Token are present; send one');
  }
  if (authorization !== undefined) return parseAuthorization(authorization);
  if (warpToken !== undefined) return parseWarp10Token(warpToken);
  return NONE;
}

/** Parses one `Authorization` header value. */
export function parseAuthorization(value: string): Credentials {
  if (typeof value !== 'string') return invalid('empty', 'Authorization header is not a string');
  if (value.length > MAX_CREDENTIAL_HEADER_LENGTH) {
    return invalid(
      'too_long',
      `Authorization header is longer than ${MAX_CREDENTIAL_HEADER_LENGTH} characters`,
    );
  }
  const trimmed = value.trim();
  if (trimmed === '') return invalid('empty', 'Authorization header is empty');
  const space = trimmed.search(/[ \t]/);
  const scheme = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const param = space === -1 ? '' : trimmed.slice(space).trimStart();
  if (scheme === 'basic') return parseBasic(param);
  if (scheme === 'bearer') {
    if (param === '') return invalid('empty', 'Bearer scheme without a token');
    if (param.length > MAX_SECRET_LENGTH) {
      return invalid('too_long', `bearer token is longer than ${MAX_SECRET_LENGTH} characters`);
    }
    if (!TOKEN68.test(param)) {
      return invalid('malformed_token', 'bearer token must be token68 (letters, digits, -._~+/ then =)');
    }
    return { kind: 'token', token: param };
  }
  // The scheme name is not secret, but keep it printable and short for the message.
  const shown = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/.test(scheme) ? `'${scheme}'` : 'in the header';
  return invalid('unsupported_scheme', `unsupported Authorization scheme ${shown}; use Basic or Bearer`);
}

function parseBasic(param: string): Credentials {
  if (param === '') return invalid('empty', 'Basic scheme without credentials');
  if (!BASE64.test(param) || param.length % 4 === 1 || (param.includes('=') && param.length % 4 !== 0)) {
    return invalid('bad_base64', 'Basic credentials are not valid base64');
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(param, 'base64'));
  } catch {
    return invalid('bad_utf8', 'Basic credentials are not valid UTF-8');
  }
  const colon = decoded.indexOf(':');
  if (colon === -1)
    return invalid('missing_colon', "Basic credentials have no ':' between user and password");
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return checkUserPassword(user, password);
}

function checkUserPassword(user: string, password: string): Credentials {
  if (user.length > MAX_USER_LENGTH)
    return invalid('too_long', `user is longer than ${MAX_USER_LENGTH} characters`);
  if (password.length > MAX_SECRET_LENGTH) {
    return invalid('too_long', `password is longer than ${MAX_SECRET_LENGTH} characters`);
  }
  if (CONTROL.test(user)) return invalid('control_character', 'user contains a control character');
  if (CONTROL.test(password)) return invalid('control_character', 'password contains a control character');
  if (password === '') return invalid('empty_password', 'password is empty');
  return { kind: 'basic', user, password };
}

function parseWarp10Token(value: string): Credentials {
  if (value.length > MAX_CREDENTIAL_HEADER_LENGTH) {
    return invalid('too_long', `X-Warp10-Token is longer than ${MAX_CREDENTIAL_HEADER_LENGTH} characters`);
  }
  const token = value.trim();
  if (token === '') return invalid('empty', 'X-Warp10-Token header is empty');
  if (token.length > MAX_SECRET_LENGTH) {
    return invalid('too_long', `X-Warp10-Token is longer than ${MAX_SECRET_LENGTH} characters`);
  }
  if (!VISIBLE_ASCII.test(token)) {
    return invalid('malformed_token', 'X-Warp10-Token must be visible ASCII without spaces');
  }
  return { kind: 'token', token };
}

const MULTIPLE = Symbol('multiple');

function readHeader(headers: HeaderSource, lowerName: string): string | undefined | typeof MULTIPLE {
  if (headers === null || typeof headers !== 'object') return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    const value = (getter as (name: string) => unknown).call(headers, lowerName);
    return typeof value === 'string' ? value : undefined;
  }
  let found: string | undefined | typeof MULTIPLE;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== lowerName) continue;
    const raw = (headers as Record<string, unknown>)[key];
    const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    for (const value of values) {
      if (found !== undefined) return MULTIPLE;
      found = typeof value === 'string' ? value : String(value);
    }
  }
  return found;
}

/** Outcome of taking credentials off a put line's tags. */
export type TagCredentialsResult =
  | { ok: true; credentials: BasicCredentials | undefined; tags: Tags }
  | { ok: false; error: TagCredentialsError };

export interface TagCredentialsError {
  code:
    | 'password_without_user'
    | 'user_without_password'
    | 'empty_user'
    | 'misspelled_password_tag'
    | 'invalid';
  /** Names the tags involved, never their values. */
  message: string;
}

export interface TagCredentialsOptions {
  /** Default `user`. */
  userTag?: string;
  /** Default `password`. */
  passwordTag?: string;
}

/**
 * opentsdb-proxy's convention: a put line carries `user=` and `password=` tags. Returns the
 * credentials and the tags WITHOUT them (so they are never forwarded or stored). A tag key
 * that is the password tag in another case (`Password=`) is refused: it would otherwise be
 * forwarded to the TSD and stored in plain text.
 */
export function extractTagCredentials(tags: Tags, options: TagCredentialsOptions = {}): TagCredentialsResult {
  const userTag = options.userTag ?? 'user';
  const passwordTag = options.passwordTag ?? 'password';
  const lowerPasswordTag = passwordTag.toLowerCase();
  let hasUser = false;
  let hasPassword = false;
  for (const key of Object.keys(tags)) {
    if (key === userTag) hasUser = true;
    else if (key === passwordTag) hasPassword = true;
    else if (key.toLowerCase() === lowerPasswordTag) {
      return {
        ok: false,
        error: {
          code: 'misspelled_password_tag',
          message: `tag key '${key}' looks like the '${passwordTag}' tag in another case; refusing to forward it`,
        },
      };
    }
  }
  if (!hasUser && !hasPassword) return { ok: true, credentials: undefined, tags };
  if (!hasUser) {
    return {
      ok: false,
      error: {
        code: 'password_without_user',
        message: `tag '${passwordTag}' is present without '${userTag}'`,
      },
    };
  }
  if (!hasPassword) {
    return {
      ok: false,
      error: {
        code: 'user_without_password',
        message: `tag '${userTag}' is present without '${passwordTag}'`,
      },
    };
  }
  const user = tags[userTag] ?? '';
  const password = tags[passwordTag] ?? '';
  if (user === '') return { ok: false, error: { code: 'empty_user', message: `tag '${userTag}' is empty` } };
  const checked = checkUserPassword(user, password);
  if (checked.kind !== 'basic') {
    return {
      ok: false,
      error: {
        code: 'invalid',
        message: `tags '${userTag}'/'${passwordTag}': ${(checked as InvalidCredentials).reason}`,
      },
    };
  }
  // fromEntries defines own properties, so a `__proto__` tag key stays a plain key.
  const rest: Tags = Object.fromEntries(
    Object.entries(tags).filter(([key]) => key !== userTag && key !== passwordTag),
  );
  return { ok: true, credentials: checked, tags: rest };
}
