import { authorizeWrite, type Principal } from '@otsdb/auth';
import {
  type DataPoint,
  type PointError,
  type PointResult,
  type ProtocolOptions,
  parsePutLine,
  telnetPutError,
  validatePoint,
} from '@otsdb/protocol';
import { type CredentialTagNames, type FoundCredentials, stripCredentialTags } from './credential-tags.js';

/** Why a point did not reach the backend; the key of the `rejected` self-metrics. */
export type RejectReason =
  | 'invalid'
  | 'line_too_long'
  | 'credentials'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'backend';

export const REJECT_REASONS: readonly RejectReason[] = [
  'invalid',
  'line_too_long',
  'credentials',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'backend',
];

export interface Rejection {
  reason: RejectReason;
  /** For HTTP `?details` and logs: never contains a password. */
  message: string;
  /** The telnet reply line (no newline), OpenTSDB style: `put: <kind>: <message>`. */
  telnet: string;
}

export function isRejection(value: PointResult | Rejection): value is Rejection {
  return (value as Rejection).reason !== undefined;
}

export function rejection(reason: RejectReason, kind: string, message: string): Rejection {
  return { reason, message, telnet: `put: ${kind}: ${message}` };
}

/**
 * The write rules shared by the telnet and HTTP sides: parsing with room for the credential
 * tags, authorization (scope, metric patterns), forced tags, and the tag-count rules applied to
 * the point as it will leave the proxy (credentials gone, forced tags added).
 */
export class WriteRules {
  readonly names: CredentialTagNames;
  /** The TSD's rules, for the point as forwarded. */
  readonly validateOptions: ProtocolOptions;
  /** Parsing leaves room for `user` and `password` and checks the tag count later. */
  readonly parseOptions: ProtocolOptions;
  readonly #maxTags: number;
  readonly #tagsOptional: boolean;
  readonly #wideParseOptions: ProtocolOptions;

  constructor(
    names: CredentialTagNames,
    protocol: { maxTags: number; tagsOptional: boolean; extraChars: string },
  ) {
    this.names = names;
    this.#maxTags = protocol.maxTags;
    this.#tagsOptional = protocol.tagsOptional;
    this.validateOptions = { ...protocol };
    this.parseOptions = { ...protocol, maxTags: protocol.maxTags + 2, tagsOptional: true };
    this.#wideParseOptions = { ...protocol, maxTags: 1024, tagsOptional: true };
  }

  /**
   * Parses a put line and takes its credential tags off (into `found`). The common line parses
   * in one pass and only the tags object is rebuilt. A line that does not parse may still be
   * fine once its credentials are gone: passwords may hold any visible character (as with
   * opentsdb-proxy, which split on spaces), which OpenTSDB's tag rules refuse. So the
   * credential words are taken out and the rest is parsed again; its error, if any, never
   * quotes the password.
   */
  parseLine(line: string, found: FoundCredentials): PointResult | Rejection {
    const result = parsePutLine(line, this.parseOptions);
    if (result.ok) {
      stripCredentialTags(result.point, this.names, found);
      return result;
    }
    const words = line.split(' ');
    let user: string | undefined;
    let password: string | undefined;
    const rest: string[] = [];
    const userPrefix = this.names.user + '=';
    const passwordPrefix = this.names.password + '=';
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      // Words 0-3 are `put metric timestamp value`; credentials are tags, after them.
      if (i >= 4 && w.startsWith(userPrefix)) {
        const v = w.slice(userPrefix.length);
        if (user !== undefined && user !== v) {
          return rejection(
            'credentials',
            'illegal argument',
            `tag '${this.names.user}' appears twice with different values`,
          );
        }
        user = v;
      } else if (i >= 4 && w.startsWith(passwordPrefix)) {
        const v = w.slice(passwordPrefix.length);
        if (password !== undefined && password !== v) {
          return rejection(
            'credentials',
            'illegal argument',
            `tag '${this.names.password}' appears twice with different values`,
          );
        }
        password = v;
      } else {
        rest.push(w);
      }
    }
    if (user === undefined && password === undefined) {
      const wide = this.#reparseWide(line, result.error);
      if (!isRejection(wide) && wide.ok) stripCredentialTags(wide.point, this.names, found);
      return wide;
    }
    const stripped = rest.join(' ');
    let again = parsePutLine(stripped, this.parseOptions);
    if (!again.ok) {
      const wide = this.#reparseWide(stripped, again.error);
      if (isRejection(wide) || !wide.ok) return wide;
      again = wide;
    }
    stripCredentialTags(again.point, this.names, found);
    found.user = user;
    found.password = password;
    return again;
  }

  /** Too many tags even with the credentials' two slots: the reply counts what the TSD would see. */
  #reparseWide(line: string, error: PointError): PointResult | Rejection {
    if (error.code === 'too_many_tags') {
      const wide = parsePutLine(line, this.#wideParseOptions);
      if (wide.ok) return wide;
    }
    return this.invalid(error);
  }

  /** A parse error as a rejection (telnet reply and message), password masked. */
  invalid(error: PointError): Rejection {
    const masked = this.maskError(error);
    return { reason: 'invalid', message: masked.message, telnet: telnetPutError(masked) };
  }

  /**
   * Everything after authentication, for a point whose credential tags are gone (`tagCount` tags
   * left): scope and metric patterns, forced tags (set in place, overriding the client's), then
   * the tag count of the point as forwarded. Undefined when the point may be written.
   */
  admit(point: DataPoint, tagCount: number, principal: Principal): Rejection | undefined {
    const decision = authorizeWrite(principal, point);
    if (!decision.ok) return rejection('forbidden', 'forbidden', decision.reason);
    const forced = principal.forcedTags;
    if (forced !== undefined) {
      const tags = point.tags;
      for (const key in forced) {
        if (tags[key] === undefined) tagCount++;
        tags[key] = forced[key]!;
      }
    }
    if (tagCount > this.#maxTags || (tagCount === 0 && !this.#tagsOptional)) {
      const error = validatePoint(point, this.validateOptions);
      if (error !== undefined) return this.invalid(error);
    }
    return undefined;
  }

  /** Replaces the value of every `password=` in a TSD-worded message by `***`. */
  maskError(error: PointError): PointError {
    const message = maskPassword(error.message, this.names.password);
    if (message === error.message && error.value === undefined && error.detail === undefined) return error;
    const out: PointError = { code: error.code, message };
    if (error.category !== undefined) out.category = error.category;
    return out;
  }
}

/**
 * OpenTSDB's messages quote tags (`tags={host=a, password=s3cret}`, `password=s3cret` in a bad
 * tag). They go back to the sender and into logs, so the value is masked wherever the password
 * tag appears, in any case.
 */
export function maskPassword(message: string, passwordTag: string): string {
  const lower = message.toLowerCase();
  const needle = passwordTag.toLowerCase() + '=';
  let at = lower.indexOf(needle);
  if (at < 0) return message;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const valueStart = at + needle.length;
    let end = valueStart;
    while (end < message.length) {
      const c = message.charCodeAt(end);
      if (c === 44 || c === 125 || c === 32 || c === 10 || c === 13) break; // , } space newlines
      end++;
    }
    out += message.slice(from, valueStart) + '***';
    from = end;
    at = lower.indexOf(needle, end);
  }
  return out + message.slice(from);
}
