import type { DataPoint } from './data-point.js';

/** Stable reasons a datapoint (or line, or body entry) was rejected. */
export type PointErrorCode =
  | 'invalid_line'
  | 'invalid_metric'
  | 'invalid_tag'
  | 'missing_tags'
  | 'too_many_tags'
  | 'duplicate_tag'
  | 'invalid_timestamp'
  | 'invalid_value'
  | 'line_too_long'
  | 'invalid_json';

/**
 * Which of OpenTSDB's telnet reply prefixes a rejection uses. A TSD answers `put: invalid value: ...`
 * when Java's number parsing threw (`NumberFormatException`) and `put: illegal argument: ...` for
 * every other rule.
 */
export type PointErrorCategory = 'illegal_argument' | 'invalid_value';

export interface PointError {
  code: PointErrorCode;
  /** OpenTSDB's own wording: what a TSD writes after `put: illegal argument: ` (or `invalid value: `). */
  message: string;
  /** Defaults to `illegal_argument`. */
  category?: PointErrorCategory;
  /** The offending input (token, tag, value text or line), for logs and operators. */
  value?: string;
  /** The rule in plain words, naming the offending value and what is allowed. */
  detail?: string;
}

export type PointResult = { ok: true; point: DataPoint } | { ok: false; error: PointError };

/**
 * Thrown only for programming mistakes and bad configuration (invalid options, encoding a
 * non-finite value). Bad input data is never thrown: it is returned as a `PointError`.
 */
export class ProtocolError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/**
 * A value as it appears in an error, without calling anything the value defines: `String()` on an
 * object runs its `toString` (which may be missing, throw, or lie), so objects are only named.
 */
export function printable(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  // Primitives only: String() never throws for these (symbols included).
  return String(v);
}

/** The exact line a TSD writes back for a rejected `put` (without the trailing newline). */
export function telnetPutError(error: PointError): string {
  const kind = error.category === 'invalid_value' ? 'invalid value' : 'illegal argument';
  return 'put: ' + kind + ': ' + error.message;
}

/**
 * A line longer than the framer's limit. OpenTSDB's Netty `LineBasedFrameDecoder(1024)` raises
 * this exact text (and the TSD closes the connection); the framer here skips the line instead.
 */
export function lineTooLongError(length: number, maxLineLength: number): PointError {
  return {
    code: 'line_too_long',
    message: 'frame length (' + length + ') exceeds the allowed maximum (' + maxLineLength + ')',
    value: String(length),
    detail: 'a line may hold at most ' + maxLineLength + ' bytes, this one has ' + length,
  };
}
