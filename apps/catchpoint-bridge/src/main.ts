#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bridge } from './bridge.js';
import { HELP, parseCommandLine } from './cli.js';
import { loadConfig, redactConfig } from './config.js';
import { createLogger } from './logger.js';
import { createSink } from './sinks.js';

/**
 * Composition root: command line -> configuration -> logger -> sink -> bridge, and the
 * signals that stop it. Exit codes: 0 done, 1 runtime failure (could not listen, replay had
 * rejects, unclean shutdown), 2 bad configuration.
 */

export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const cli = parseCommandLine(argv);
  if (!cli.ok) {
    for (const e of cli.errors) process.stderr.write(`${e}\n`);
    return 2;
  }
  if (cli.cli.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const loaded = await loadConfig({ cli: cli.cli.layer, env, file: cli.cli.configFile });
  if (!loaded.ok) {
    for (const e of loaded.errors) process.stderr.write(`${e}\n`);
    return 2;
  }
  const config = loaded.config;
  if (cli.cli.printConfig) {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return 0;
  }

  const logger = createLogger(config.logLevel);
  for (const w of [...cli.cli.warnings, ...loaded.warnings]) logger.warn(w);

  const built = await createSink(config, logger);
  if (!built.ok) {
    logger.error(built.message);
    return 2;
  }
  const bridge = new Bridge({ config, sink: built.sink, logger });

  if (config.replay.length > 0) {
    const summary = await bridge.replay(config.replay);
    for (const r of summary.rejected.slice(0, 100)) logger.warn({ where: r.where }, r.message);
    const stopped = await bridge.stop();
    logger.info(
      {
        documents: summary.documents,
        accepted: summary.accepted,
        points: summary.points,
        rejected: summary.rejected.length,
      },
      'replay finished',
    );
    return summary.rejected.length === 0 && stopped.sinkClosed ? 0 : 1;
  }

  try {
    await bridge.start();
  } catch (err) {
    logger.error({ err }, 'could not start');
    await bridge.stop();
    return 1;
  }

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting without draining');
        logger.flush();
        process.exit(1);
      }
      logger.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'shutting down');
      void bridge.stop().then((r) => {
        logger.info(r, 'stopped');
        resolve(r.drained && r.sinkClosed ? 0 : 1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().then(
    (code) => {
      process.exitCode = code;
      // Timers are unref'd and servers closed; a stuck socket must not keep the process alive.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`fatal: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
