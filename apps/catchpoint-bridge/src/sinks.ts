import { type CreateClientOptions, createClient } from '@otsdb/client';
import type { Logger } from 'pino';
import { ClientSink } from './client-sink.js';
import type { BridgeConfig } from './config.js';
import { FileSink } from './file-sink.js';
import { NullSink, type Sink } from './sink.js';

/** What `createSink` built, or why it could not. */
export type SinkResult = { ok: true; sink: Sink } | { ok: false; message: string };

/** The client options for the configured TSD; the queue bound leaves room for one more push. */
export function clientOptions(config: BridgeConfig, logger?: Logger): CreateClientOptions {
  const t = config.output.tsd;
  const target: CreateClientOptions =
    t.url !== undefined
      ? { url: t.url }
      : { hosts: [{ host: t.host, port: t.port }], protocol: t.protocol, tls: t.tls, path: t.path };
  return {
    ...target,
    // Catchpoint data is about Catchpoint's nodes, not about the bridge host.
    hostTag: false,
    maxQueue: t.maxQueue,
    ...(t.batchSize !== undefined ? { batchSize: t.batchSize } : {}),
    highWaterMark: t.maxQueue - config.mapping.maxPointsPerPush - 64,
    dropPolicy: 'reject',
    telnetTimestamps: t.telnetTimestamps,
    protocolOptions: { maxTags: config.mapping.maxTags, extraChars: config.mapping.extraChars },
    ...(logger ? { logger: logger.child({ component: 'client' }) } : {}),
  };
}

/** The sink the configuration asks for: a TSD through @otsdb/client, a file, or nothing. */
export async function createSink(config: BridgeConfig, logger: Logger): Promise<SinkResult> {
  switch (config.output.kind) {
    case 'file':
      return { ok: true, sink: new FileSink({ path: config.output.file }) };
    case 'null':
      return { ok: true, sink: new NullSink() };
    case 'tsd':
      try {
        // No checkHost: a TSD that is down at start is the client's to retry; pushes queue meanwhile.
        const client = await createClient(clientOptions(config, logger));
        return {
          ok: true,
          sink: new ClientSink(client, { closeTimeoutMs: config.shutdownTimeoutMs, logger }),
        };
      } catch (err) {
        return { ok: false, message: `output.tsd: ${(err as Error).message}` };
      }
  }
}
