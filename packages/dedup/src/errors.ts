/** Thrown for bad configuration only; points never cause an exception. */
export class DedupError extends Error {
  readonly code: 'invalid_option';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DedupError';
    this.code = 'invalid_option';
  }
}
