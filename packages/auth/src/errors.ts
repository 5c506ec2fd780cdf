/**
 * Thrown for bad configuration and programming errors only (an invalid credentials file at
 * startup, a malformed metric pattern in code). Bad credentials are never exceptions: they
 * are values (`{ ok: false, ... }`).
 */
export class AuthConfigError extends Error {
  readonly code: 'invalid_config' | 'invalid_option';
  /** One `path: message` line per problem. */
  readonly errors: readonly string[];

  constructor(
    code: 'invalid_config' | 'invalid_option',
    message: string,
    errors: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AuthConfigError';
    this.code = code;
    this.errors = errors;
  }
}
