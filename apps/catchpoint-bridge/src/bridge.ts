import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { CatchpointV1Client, CatchpointV2Client, type NodeSource } from './catchpoint-api.js';
import type { BridgeConfig } from './config.js';
import { Ingest } from './ingest.js';
import { createMapper } from './mapping.js';
import { NodeDirectory, NodeRefresher, type RefreshOutcome } from './node-directory.js';
import { sanitizeTagValue } from './opentsdb-names.js';
import { type ReplaySummary, replay } from './replay.js';
import { SecretMatcher } from './secret.js';
import { BridgeMetrics } from './self-metrics.js';
import { SelfMetricsReporter } from './self-metrics-reporter.js';
import type { Sink } from './sink.js';
import { WebhookServer } from './webhook.js';

/**
 * The bridge assembled from a validated configuration and a sink: node metadata (cache file,
 * then the REST API), the mapping, the webhook, self-metrics. Start order is sink (given),
 * transforms, source; stop is the reverse, within the configured deadline.
 */
export interface BridgeDeps {
  config: BridgeConfig;
  sink: Sink;
  logger: Logger;
  /** For tests: where Catchpoint API requests go (a MockAgent, a proxy). */
  dispatcher?: Dispatcher | undefined;
}

export function createNodeSource(config: BridgeConfig, dispatcher?: Dispatcher): NodeSource | undefined {
  const c = config.catchpoint;
  const http = {
    baseUrl: c.baseUrl,
    timeoutMs: c.timeoutMs,
    ...(dispatcher ? { dispatcher } : {}),
  };
  if (c.api === 'v1' && c.clientId !== undefined && c.clientSecret !== undefined) {
    return new CatchpointV1Client({ ...http, clientId: c.clientId, clientSecret: c.clientSecret });
  }
  if (c.api === 'v2' && c.apiKey !== undefined) {
    return new CatchpointV2Client({ ...http, apiKey: c.apiKey, pageSize: c.pageSize });
  }
  return undefined;
}

export interface StopResult {
  /** Every request in flight was answered before the deadline. */
  drained: boolean;
  /** The sink flushed and closed before the deadline. */
  sinkClosed: boolean;
}

export class Bridge {
  readonly metrics = new BridgeMetrics();
  readonly directory = new NodeDirectory();
  readonly refresher: NodeRefresher;
  readonly ingest: Ingest;
  readonly #deps: BridgeDeps;
  readonly #reporter: SelfMetricsReporter;
  #webhook: WebhookServer | undefined;
  #address: AddressInfo | undefined;
  #stopping: Promise<StopResult> | undefined;

  constructor(deps: BridgeDeps) {
    this.#deps = deps;
    const { config, sink, logger } = deps;
    this.refresher = new NodeRefresher({
      directory: this.directory,
      source: createNodeSource(config, deps.dispatcher),
      cacheFile: config.catchpoint.cacheFile === '' ? undefined : config.catchpoint.cacheFile,
      intervalMs: config.catchpoint.refreshIntervalMs,
      jitter: config.catchpoint.jitter,
      unknownRefreshMinIntervalMs: config.catchpoint.unknownRefreshMinIntervalMs,
      logger: logger.child({ component: 'nodes' }),
      onRefresh: (o: RefreshOutcome) => {
        if (o.ok) this.metrics.refreshOk++;
        else if (o.error.code !== 'no_source' && o.error.code !== 'aborted') this.metrics.refreshError++;
      },
    });
    this.ingest = new Ingest({
      directory: this.directory,
      mapper: createMapper(config.mapping),
      sink,
      metrics: this.metrics,
      onUnknownNode: () => this.refresher.requestRefresh(),
      protocol: { maxTags: config.mapping.maxTags, extraChars: config.mapping.extraChars },
      logger: logger.child({ component: 'ingest' }),
    });
    const host = sanitizeTagValue(config.selfMetrics.host) || 'unknown';
    this.#reporter = new SelfMetricsReporter({
      metrics: this.metrics,
      directory: this.directory,
      sink,
      tags: { host },
      intervalMs: config.selfMetrics.intervalMs,
      logger,
    });
  }

  /** The webhook's bound address once `start` resolved. */
  get address(): AddressInfo | undefined {
    return this.#address;
  }

  /** Loads node metadata, then opens the webhook. */
  async start(): Promise<AddressInfo> {
    const { config, logger } = this.#deps;
    const { firstRefresh } = await this.refresher.start();
    // With nothing cached, wait for the API once so the first pushes are tagged; a failure
    // there is logged by the refresher and the bridge starts anyway (points say `unknown`).
    if (this.directory.size === 0) await firstRefresh;
    const w = config.webhook;
    this.#webhook = new WebhookServer({
      ingest: this.ingest,
      metrics: this.metrics,
      path: w.path,
      healthPath: w.healthPath,
      secrets: w.secrets.length > 0 ? new SecretMatcher(w.secrets) : undefined,
      secretHeader: w.secretHeader,
      maxBodyBytes: w.maxBodyBytes,
      retryAfterSeconds: w.retryAfterSeconds,
      logger: logger.child({ component: 'webhook' }),
      health: () => ({
        mode: config.mapping.mode,
        nodes: {
          count: this.directory.size,
          origin: this.directory.origin,
          updatedAt:
            this.directory.updatedAt === undefined
              ? undefined
              : new Date(this.directory.updatedAt).toISOString(),
          api: config.catchpoint.api,
        },
      }),
    });
    this.#address = await this.#webhook.listen({
      host: config.listen.host,
      port: config.listen.port,
      requestTimeoutMs: w.requestTimeoutMs,
      maxConnections: w.maxConnections,
    });
    this.#reporter.start();
    logger.info(
      {
        address: this.#address.address,
        port: this.#address.port,
        path: w.path,
        mode: config.mapping.mode,
        nodes: this.directory.size,
        authenticated: w.secrets.length > 0,
      },
      'listening for Catchpoint pushes',
    );
    return this.#address;
  }

  /** Replays recorded pushes instead of listening (see replay.ts). */
  async replay(sources: readonly string[]): Promise<ReplaySummary> {
    const { firstRefresh } = await this.refresher.start();
    if (this.directory.size === 0) await firstRefresh;
    return replay(sources, { ingest: this.ingest, sink: this.#deps.sink });
  }

  /**
   * Stops accepting, answers what is in flight, stops the node refresh, writes a last
   * self-metrics report, then flushes and closes the sink, all within
   * `config.shutdownTimeoutMs`. Idempotent.
   */
  stop(): Promise<StopResult> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<StopResult> {
    const { config, sink, logger } = this.#deps;
    const deadline = Date.now() + config.shutdownTimeoutMs;
    const remaining = () => Math.max(0, deadline - Date.now());
    const drained = this.#webhook ? await this.#webhook.close(remaining()) : true;
    await this.refresher.stop();
    this.#reporter.stop();
    if (config.selfMetrics.intervalMs > 0) await this.#reporter.report();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), remaining());
    });
    const sinkClosed = await Promise.race([
      sink.close().then(
        () => true,
        (err: unknown) => {
          logger.error({ err }, 'sink close failed');
          return false;
        },
      ),
      timeout,
    ]);
    clearTimeout(timer);
    if (!sinkClosed)
      logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'sink not closed before the deadline');
    return { drained, sinkClosed };
  }
}
