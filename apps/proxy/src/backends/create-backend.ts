import { readFile } from 'node:fs/promises';
import type { Logger, TlsOptions } from '@otsdb/client';
import type { ProxyConfig } from '../config.js';
import type { Backend } from './backend.js';
import { createForwardBackend } from './forward-backend.js';
import { createLocalBackend } from './local-backend.js';
import { createMockBackend } from './mock-backend.js';
import { createNullBackend } from './null-backend.js';

/** Builds the backend `config.backend.type` names. Throws for unreadable files or a bad store. */
export async function createBackend(config: ProxyConfig, logger: Logger): Promise<Backend> {
  const b = config.backend;
  switch (b.type) {
    case 'null':
      return createNullBackend();
    case 'mock':
      return createMockBackend({
        file: b.mock.file,
        maxRecords: b.mock.maxRecords,
        protocolOptions: config.protocol,
      });
    case 'local':
      return createLocalBackend({
        dataDir: b.local.dataDir!,
        retention: b.local.retention,
        fsync: b.local.fsync,
        logger: logger.child({ component: 'local-store' }),
      });
    case 'forward': {
      const f = b.forward;
      return createForwardBackend({
        targets: f.targets,
        mode: f.mode,
        tls: await forwardTls(f.tls),
        maxQueue: f.maxQueue,
        batchSize: f.batchSize,
        concurrency: f.concurrency,
        connections: f.connections,
        telnetTimestamps: f.telnetTimestamps,
        gzip: f.gzip,
        hostCooldownMs: f.hostCooldownMs,
        protocolOptions: config.protocol,
        readUrl: f.readUrl,
        readTimeoutMs: f.readTimeoutMs,
        maxReadResponseBytes: f.maxReadResponseBytes,
        logger: logger.child({ component: 'forward' }),
      });
    }
  }
}

async function forwardTls(t: ProxyConfig['backend']['forward']['tls']): Promise<TlsOptions | undefined> {
  const out: TlsOptions = {};
  let any = false;
  if (t.ca !== undefined) {
    out.ca = await readFile(t.ca, 'utf8');
    any = true;
  }
  if (t.cert !== undefined) {
    out.cert = await readFile(t.cert, 'utf8');
    any = true;
  }
  if (t.key !== undefined) {
    out.key = await readFile(t.key, 'utf8');
    any = true;
  }
  if (t.passphrase !== undefined) out.passphrase = t.passphrase;
  if (t.servername !== undefined) out.servername = t.servername;
  if (!t.rejectUnauthorized) {
    out.rejectUnauthorized = false;
    any = true;
  }
  return any ? out : undefined;
}
