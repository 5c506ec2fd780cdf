/** Thrown for bad collector configuration only; odd kernel files never cause an exception. */
export class CollectorError extends Error {
  readonly code: 'invalid_option';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CollectorError';
    this.code = 'invalid_option';
  }
}
