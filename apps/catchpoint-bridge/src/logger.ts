import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * The app's one logger. Logs go to stderr, so file mode can write points to stdout; pretty
 * when stderr is a terminal, JSON lines otherwise. Secret-bearing fields are redacted by
 * name as a second line of defence: no code path logs them on purpose.
 */
export function createLogger(
  level: string,
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'catchpoint-bridge' },
    redact: {
      paths: [
        'secret',
        'secrets',
        'clientSecret',
        'apiKey',
        'token',
        'authorization',
        '*.secret',
        '*.secrets',
        '*.clientSecret',
        '*.apiKey',
        '*.token',
        '*.authorization',
        'headers.authorization',
        '*.headers.authorization',
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
