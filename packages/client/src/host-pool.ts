/** One TSD address. `label` is `host:port` (IPv6 in brackets) and is what logs and stats show. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly label: string;
}

export type HostPolicy = 'failover' | 'spread';

interface HostState {
  readonly endpoint: Endpoint;
  coolUntil: number;
}

/**
 * Chooses where the next batch goes. A host that failed cools down for `cooldownMs` (tcollector's
 * blacklisting) and is tried again afterwards.
 *
 * - `failover`: always the first healthy host in the configured order, so traffic returns to the
 *   primary once its cooldown is over and it works again.
 * - `spread`: round-robin over the healthy hosts.
 *
 * When every host is cooling down, `pick` returns the one whose cooldown ends first: the caller's
 * backoff decides how fast it is retried, the pool never refuses to answer.
 */
export class HostPool {
  private readonly states: HostState[];
  private cursor = 0;

  constructor(
    endpoints: readonly Endpoint[],
    private readonly policy: HostPolicy,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (endpoints.length === 0) throw new RangeError('HostPool needs at least one endpoint');
    this.states = endpoints.map((endpoint) => ({ endpoint, coolUntil: 0 }));
  }

  get endpoints(): Endpoint[] {
    return this.states.map((s) => s.endpoint);
  }

  pick(): Endpoint {
    const now = this.now();
    const n = this.states.length;
    if (this.policy === 'spread') {
      for (let i = 0; i < n; i++) {
        const state = this.states[(this.cursor + i) % n]!;
        if (state.coolUntil <= now) {
          this.cursor = (this.cursor + i + 1) % n;
          return state.endpoint;
        }
      }
    } else {
      for (const state of this.states) if (state.coolUntil <= now) return state.endpoint;
    }
    let soonest = this.states[0]!;
    for (const state of this.states) if (state.coolUntil < soonest.coolUntil) soonest = state;
    return soonest.endpoint;
  }

  markFailed(endpoint: Endpoint): void {
    const state = this.find(endpoint);
    if (state) state.coolUntil = this.now() + this.cooldownMs;
  }

  markOk(endpoint: Endpoint): void {
    const state = this.find(endpoint);
    if (state) state.coolUntil = 0;
  }

  isHealthy(endpoint: Endpoint): boolean {
    const state = this.find(endpoint);
    return state !== undefined && state.coolUntil <= this.now();
  }

  /** Whether some host other than `except` is not cooling down (worth failing over to at once). */
  hasHealthyOther(except: Endpoint): boolean {
    const now = this.now();
    return this.states.some((s) => s.endpoint !== except && s.coolUntil <= now);
  }

  private find(endpoint: Endpoint): HostState | undefined {
    return this.states.find((s) => s.endpoint === endpoint);
  }
}
