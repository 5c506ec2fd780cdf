import pino from 'pino';
import pretty from 'pino-pretty';

/** The part of pino's API the proxy logs through; a pino logger fits, and so does `silentLogger`. */
export interface ProxyLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): ProxyLogger;
}

const noop = (): void => undefined;

/** Programs embedding the proxy get no output unless they pass a logger. */
export const silentLogger: ProxyLogger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/**
 * The CLI's logger: JSON lines on stderr, pretty when stderr is a terminal. Fields that could
 * hold a secret are redacted by name as a second line of defence: no code path logs them.
 */
export function createLogger(
  level: string,
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): pino.Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'opentsdb-proxy' },
    redact: {
      paths: [
        'password',
        'passphrase',
        'token',
        'authorization',
        'credentials',
        '*.password',
        '*.passphrase',
        '*.token',
        '*.authorization',
        'headers.authorization',
        'headers["x-warp10-token"]',
        'headers.cookie',
      ],
      censor: '[redacted]',
    },
  };
  if (stream.isTTY) {
    return pino(
      options,
      pretty({ destination: stream, colorize: true, sync: true, translateTime: 'SYS:standard' }),
    );
  }
  return pino(options, stream === process.stderr ? pino.destination({ fd: 2, sync: false }) : stream);
}
