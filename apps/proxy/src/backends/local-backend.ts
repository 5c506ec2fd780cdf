import type { DataPoint } from '@otsdb/protocol';
import { type LocalStore, type LocalStoreOptions, openLocalStore } from '../local-store/index.js';
import {
  type Backend,
  BackendCounters,
  type BackendStats,
  type BackendWriteResult,
  DrainListeners,
  NO_REJECTIONS,
  type ReadRequest,
  type ReadResponse,
} from './backend.js';

/**
 * The embedded store (./local-store) as a backend: a single-machine OpenTSDB with its read API,
 * for development stacks and small installations. A write resolves once the points are durable
 * per the store's fsync policy; the store refuses (503) past its pending-points bound.
 */
export async function createLocalBackend(options: LocalStoreOptions): Promise<Backend> {
  const store: LocalStore = await openLocalStore(options);
  const counters = new BackendCounters();
  const drains = new DrainListeners();
  let inFlight = 0;
  let closed = false;
  // Sources pause while this many points wait to be made durable, well below the store's own
  // refusal bound, so telnet connections slow down before anything is refused.
  const highWater = Math.max(1000, Math.floor((options.maxPendingPoints ?? 1_000_000) / 2));
  let wasFull = false;

  const write = async (points: DataPoint[]): Promise<BackendWriteResult> => {
    if (closed) return { ok: false, status: 503, code: 'closed', message: 'backend is closed', accepted: 0 };
    if (points.length === 0) return { ok: true, accepted: 0, rejected: NO_REJECTIONS };
    inFlight += points.length;
    if (inFlight >= highWater) wasFull = true;
    try {
      const result = await store.write(points);
      if (result.ok) return { ok: true, accepted: points.length, rejected: NO_REJECTIONS };
      return {
        ok: false,
        status: result.status,
        code: 'store_refused',
        message: result.message,
        accepted: 0,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, status: 503, code: 'store_error', message: `local store: ${message}`, accepted: 0 };
    } finally {
      inFlight -= points.length;
      if (wasFull && inFlight < highWater / 2) {
        wasFull = false;
        drains.emit();
      }
    }
  };

  return {
    type: 'local',
    get writable() {
      return !closed && inFlight < highWater;
    },
    async write(points) {
      return counters.record(points.length, await write(points));
    },
    onDrain: (listener) => drains.add(listener),
    async handleRead(request: ReadRequest): Promise<ReadResponse> {
      const response = await store.handleRead({
        method: request.method,
        path: request.path,
        search: request.search,
        body: request.body,
      });
      return { status: response.status, headers: response.headers, body: response.body };
    },
    stats(): BackendStats {
      return {
        type: 'local',
        received: counters.received,
        written: counters.written,
        rejected: counters.rejected,
        failed: counters.failed,
        queued: inFlight,
        details: store.stats(),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await store.close();
    },
  };
}
