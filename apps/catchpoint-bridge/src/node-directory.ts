import type { Logger } from 'pino';
import type { ApiError, NodeSource } from './catchpoint-api.js';
import { loadNodeCache, saveNodeCache } from './node-cache.js';
import type { NodeInfo } from './node-info.js';

/** The node list the mapping reads: one lookup per push, so a plain Map. */
export class NodeDirectory {
  #nodes = new Map<number, NodeInfo>();
  #updatedAt: number | undefined;
  #origin: 'none' | 'cache' | 'api' = 'none';

  constructor(nodes: Iterable<NodeInfo> = []) {
    for (const n of nodes) this.#nodes.set(n.id, n);
    if (this.#nodes.size > 0) this.#origin = 'api';
  }

  get(id: number): NodeInfo | undefined {
    return this.#nodes.get(id);
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** Unix ms of the list in use (when it was fetched), undefined while empty. */
  get updatedAt(): number | undefined {
    return this.#updatedAt;
  }

  get origin(): 'none' | 'cache' | 'api' {
    return this.#origin;
  }

  replace(nodes: readonly NodeInfo[], origin: 'cache' | 'api', updatedAt: number): void {
    const next = new Map<number, NodeInfo>();
    for (const n of nodes) next.set(n.id, n);
    this.#nodes = next;
    this.#origin = origin;
    this.#updatedAt = updatedAt;
  }

  list(): NodeInfo[] {
    return [...this.#nodes.values()];
  }
}

export type RefreshTrigger = 'start' | 'schedule' | 'unknown_node' | 'manual';

export type RefreshOutcome =
  | { ok: true; trigger: RefreshTrigger; nodes: number }
  | { ok: false; trigger: RefreshTrigger; error: ApiError | { code: 'no_source'; message: string } };

export interface NodeRefresherOptions {
  directory: NodeDirectory;
  /** Where node lists come from; without one only the cache file is used. */
  source?: NodeSource | undefined;
  /** Last good list on disk; read at start, rewritten after every successful fetch. */
  cacheFile?: string | undefined;
  /** Between successful refreshes. Default 6 h. */
  intervalMs?: number;
  /** Each delay is spread by ±jitter (a fraction) so many bridges do not call at once. Default 0.1. */
  jitter?: number;
  /** First retry delay after a failure, doubling up to `intervalMs`. Default 30 s. */
  retryMinMs?: number;
  /** An unknown node asks for a refresh at most this often. Default 10 min. */
  unknownRefreshMinIntervalMs?: number;
  logger?: Logger | undefined;
  onRefresh?: (outcome: RefreshOutcome) => void;
  now?: () => number;
  random?: () => number;
}

/**
 * Keeps a NodeDirectory fresh: cache file at start, then the API on a jittered schedule,
 * with capped exponential backoff after failures and a rate-limited refresh when a push
 * names a node the list does not know (Catchpoint adds nodes). A failed fetch never empties
 * the directory: the last good list stays in use.
 */
export class NodeRefresher {
  readonly #o: Required<
    Pick<
      NodeRefresherOptions,
      'intervalMs' | 'jitter' | 'retryMinMs' | 'unknownRefreshMinIntervalMs' | 'now' | 'random'
    >
  > &
    NodeRefresherOptions;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<RefreshOutcome> | undefined;
  #abort = new AbortController();
  #failures = 0;
  #lastUnknownRefresh = Number.NEGATIVE_INFINITY;
  #stopped = false;
  #started = false;

  constructor(options: NodeRefresherOptions) {
    this.#o = {
      intervalMs: 6 * 60 * 60 * 1000,
      jitter: 0.1,
      retryMinMs: 30_000,
      unknownRefreshMinIntervalMs: 10 * 60 * 1000,
      now: Date.now,
      random: Math.random,
      ...options,
    };
  }

  /**
   * Loads the cache file into the directory, then starts the first API refresh. Resolves once
   * the cache is loaded; `firstRefresh` resolves when the first API attempt has finished.
   */
  async start(): Promise<{ firstRefresh: Promise<RefreshOutcome> }> {
    if (this.#started) throw new Error('NodeRefresher.start called twice');
    this.#started = true;
    const { cacheFile, directory, logger } = this.#o;
    if (cacheFile !== undefined) {
      const r = await loadNodeCache(cacheFile);
      if (r.ok) {
        const at = Date.parse(r.cache.fetchedAt);
        directory.replace(r.cache.nodes, 'cache', Number.isFinite(at) ? at : this.#o.now());
        logger?.info(
          { nodes: r.cache.nodes.length, fetchedAt: r.cache.fetchedAt },
          'node list loaded from cache',
        );
      } else if (r.error.code !== 'missing') {
        logger?.warn({ reason: r.error.message }, 'node cache ignored');
      }
    }
    const firstRefresh = this.refreshNow('start');
    return { firstRefresh };
  }

  /** Asks for a refresh because a push named an unknown node; false when rate-limited. */
  requestRefresh(): boolean {
    if (this.#stopped || this.#o.source === undefined) return false;
    const now = this.#o.now();
    if (now - this.#lastUnknownRefresh < this.#o.unknownRefreshMinIntervalMs) return false;
    if (this.#inFlight !== undefined) return false;
    this.#lastUnknownRefresh = now;
    void this.refreshNow('unknown_node');
    return true;
  }

  /** One refresh now; concurrent callers share the attempt in flight. */
  refreshNow(trigger: RefreshTrigger = 'manual'): Promise<RefreshOutcome> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const p = this.#refresh(trigger).finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = p;
    return p;
  }

  async #refresh(trigger: RefreshTrigger): Promise<RefreshOutcome> {
    const { source, directory, cacheFile, logger } = this.#o;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (source === undefined) {
      const outcome: RefreshOutcome = {
        ok: false,
        trigger,
        error: { code: 'no_source', message: 'no Catchpoint API configured' },
      };
      return outcome;
    }
    const r = await source.fetchNodes(this.#abort.signal);
    if (this.#stopped) {
      return { ok: false, trigger, error: { code: 'aborted', message: 'stopped' } };
    }
    let outcome: RefreshOutcome;
    if (r.ok && r.nodes.length === 0 && directory.size > 0) {
      // An empty list from an API that returned nodes before is a fault, not a truth.
      this.#failures++;
      outcome = {
        ok: false,
        trigger,
        error: { code: 'invalid_response', message: 'the API returned no nodes; keeping the last good list' },
      };
      logger?.warn({ api: source.api, trigger, keeping: directory.size }, outcome.error.message);
      this.#o.onRefresh?.(outcome);
    } else if (r.ok) {
      const at = this.#o.now();
      directory.replace(r.nodes, 'api', at);
      this.#failures = 0;
      outcome = { ok: true, trigger, nodes: r.nodes.length };
      logger?.info({ nodes: r.nodes.length, api: source.api, trigger }, 'node list refreshed');
      this.#o.onRefresh?.(outcome);
      if (cacheFile !== undefined) {
        const w = await saveNodeCache(cacheFile, {
          version: 1,
          fetchedAt: new Date(at).toISOString(),
          api: source.api,
          nodes: r.nodes,
        });
        if (!w.ok) logger?.warn({ reason: w.error.message }, 'node cache not written');
      }
    } else {
      this.#failures++;
      outcome = { ok: false, trigger, error: r.error };
      logger?.warn(
        { api: source.api, trigger, code: r.error.code, reason: r.error.message, keeping: directory.size },
        'node list refresh failed',
      );
      this.#o.onRefresh?.(outcome);
    }
    this.#schedule(outcome.ok);
    return outcome;
  }

  #schedule(lastOk: boolean): void {
    if (this.#stopped) return;
    const { intervalMs, retryMinMs, jitter, random } = this.#o;
    const base = lastOk
      ? intervalMs
      : Math.min(intervalMs, retryMinMs * 2 ** Math.min(this.#failures - 1, 20));
    const spread = 1 + jitter * (2 * random() - 1);
    const delay = Math.max(1, Math.round(base * spread));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refreshNow('schedule');
    }, delay);
    this.#timer.unref();
  }

  /** True while a refresh is scheduled. */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /** Stops the schedule and aborts a refresh in flight. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    const inFlight = this.#inFlight;
    if (inFlight !== undefined) await inFlight.catch(() => {});
  }
}
