import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

/**
 * The app's one logger. JSON lines to standard error (or --logfile), written synchronously so
 * nothing is lost when the process exits; logging is rare (rate-limited everywhere), so the
 * cost does not matter. Anything that looks like a credential is redacted.
 */
export function createLogger(options: {
  level: LogLevel;
  logfile?: string | undefined;
  stdout?: boolean;
}): Logger {
  const destination =
    options.logfile !== undefined
      ? pino.destination({ dest: options.logfile, append: true, sync: true, mkdir: true })
      : pino.destination({ dest: options.stdout ? 1 : 2, sync: true });
  return pino(
    {
      name: 'otsdb-agent',
      level: options.level,
      redact: {
        paths: ['password', '*.password', 'credentials', '*.credentials', 'authorization', '*.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };
