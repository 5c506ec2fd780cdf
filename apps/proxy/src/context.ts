import type { DataPoint } from '@otsdb/protocol';
import type { AuthGate } from './auth-gate.js';
import type { Backend } from './backends/backend.js';
import type { ProxyConfig } from './config.js';
import type { ConnectionLimit } from './limits/connection-limit.js';
import type { RateLimiter } from './limits/rate-limit.js';
import type { ProxyLogger } from './logger.js';
import type { SelfMetrics } from './self-metrics.js';
import type { WriteRules } from './write-rules.js';

/** What every listener shares: the pipeline below it and the proxy-wide limits and counters. */
export interface ProxyContext {
  readonly config: ProxyConfig;
  readonly backend: Backend;
  readonly auth: AuthGate;
  readonly rules: WriteRules;
  /** Per principal (per source address without authentication); undefined when unlimited. */
  readonly rateLimiter: RateLimiter | undefined;
  readonly metrics: SelfMetrics;
  readonly connections: ConnectionLimit;
  readonly logger: ProxyLogger;
  /** The telnet `version` reply. */
  readonly versionReply: string;
  /** The counters as points, for telnet `stats` and `/api/stats`. */
  statsPoints(): DataPoint[];
  /** True once shutdown began: health answers 503, new work is refused. */
  readonly stopping: boolean;
}
