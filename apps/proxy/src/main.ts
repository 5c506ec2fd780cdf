#!/usr/bin/env node
import { helpText, parseCli } from './cli-options.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { PROXY_VERSION, type ProxyHandle, startProxy } from './proxy.js';

/**
 * The composition root: flags > environment > file > defaults, then the proxy (backend, then
 * authentication, then listeners). SIGTERM/SIGINT stop it gracefully; a second signal exits at
 * once. SIGHUP reloads the credentials file and the TLS certificate.
 */
async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv);
  switch (cli.kind) {
    case 'help':
      process.stdout.write(helpText());
      return 0;
    case 'version':
      process.stdout.write(`opentsdb-proxy ${PROXY_VERSION}\n`);
      return 0;
    case 'error':
      process.stderr.write(`opentsdb-proxy: ${cli.message}\nTry 'opentsdb-proxy --help'.\n`);
      return 2;
  }
  const loaded = await loadConfig({ cli: cli.layer, env: process.env, file: cli.configFile });
  if (!loaded.ok) {
    process.stderr.write(
      `opentsdb-proxy: invalid configuration\n${loaded.errors.map((e) => `  ${e}\n`).join('')}`,
    );
    return 2;
  }
  if (cli.checkOnly) {
    for (const w of loaded.warnings) process.stdout.write(`warning: ${w}\n`);
    process.stdout.write('configuration ok\n');
    return 0;
  }
  const logger = createLogger(loaded.config.logLevel);
  let proxy: ProxyHandle;
  try {
    proxy = await startProxy(loaded.config, { logger });
  } catch (error) {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'cannot start');
    logger.flush();
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without draining');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      proxy.stop().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', () => {
      // Logged by the proxy (reloaded, or rejected and the old certificate kept).
      void proxy.reloadTls();
      void proxy.reloadAuth().then((result) => {
        if (result === undefined) logger.info({}, 'SIGHUP: nothing to reload (auth mode has no file)');
        else if (result.ok) logger.info({ ...result }, 'SIGHUP: credentials reloaded');
        else
          logger.error({ errors: result.errors }, 'SIGHUP: credentials file rejected; keeping the old one');
      });
    });
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    // Let the async logger drain before leaving.
    setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`opentsdb-proxy: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
