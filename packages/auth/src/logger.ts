/** The subset of pino's API this package logs through; a pino logger fits as is. */
export interface AuthLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => undefined;

/** Libraries are silent unless given a logger. */
export const silentLogger: AuthLogger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
