import { extractTagCredentials } from '@otsdb/auth';
import { createTags, type DataPoint, type Tags } from '@otsdb/protocol';

/** The tag names that carry credentials on put lines (opentsdb-proxy: `user` and `password`). */
export interface CredentialTagNames {
  readonly user: string;
  readonly password: string;
}

/**
 * What `stripCredentialTags` found on a point. One instance is reused per connection so the hot
 * path allocates nothing for it.
 */
export class FoundCredentials {
  user: string | undefined = undefined;
  password: string | undefined = undefined;
  /** A tag key that is the password tag in another case (`Password=`): refused, never forwarded. */
  misspelled: string | undefined = undefined;
  /** Tags left on the point. */
  tagCount = 0;
}

/**
 * Takes the credential tags off a point, in place: `point.tags` is replaced by a copy without
 * them (the point's other tags are untouched and in the same order). Points without credential
 * tags keep their tags object, so the common unauthenticated path allocates nothing.
 * Always called, whatever the auth mode: credentials never leave the proxy.
 */
export function stripCredentialTags(
  point: DataPoint,
  names: CredentialTagNames,
  out: FoundCredentials,
): void {
  const tags = point.tags;
  const userKey = names.user;
  const passwordKey = names.password;
  const passwordLength = passwordKey.length;
  let count = 0;
  let misspelled: string | undefined;
  let user: string | undefined;
  let password: string | undefined;
  for (const key in tags) {
    count++;
    if (key === userKey) user = tags[key];
    else if (key === passwordKey) password = tags[key];
    else if (key.length === passwordLength && key.toLowerCase() === passwordKey.toLowerCase())
      misspelled = key;
  }
  out.user = user;
  out.password = password;
  out.misspelled = misspelled;
  if (user === undefined && password === undefined) {
    out.tagCount = count;
    return;
  }
  // The client's tag keys, `__proto__` included, stay ordinary keys.
  const rest: Tags = createTags();
  let kept = 0;
  for (const key in tags) {
    if (key === userKey || key === passwordKey) continue;
    rest[key] = tags[key]!;
    kept++;
  }
  point.tags = rest;
  out.tagCount = kept;
}

/**
 * Why a point's credential tags are unusable (a password without a user, `Password=`, an empty
 * or over-long value, control characters), in @otsdb/auth's words; undefined when usable.
 * Only reached off the hot path: for a pair not seen before on the connection, or a bad one.
 */
export function credentialTagProblem(found: FoundCredentials, names: CredentialTagNames): string | undefined {
  const tags: Tags = createTags();
  if (found.user !== undefined) tags[names.user] = found.user;
  if (found.password !== undefined) tags[names.password] = found.password;
  if (found.misspelled !== undefined) tags[found.misspelled] = '';
  const result = extractTagCredentials(tags, { userTag: names.user, passwordTag: names.password });
  return result.ok ? undefined : result.error.message;
}
