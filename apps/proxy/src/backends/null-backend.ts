import type { DataPoint } from '@otsdb/protocol';
import { type Backend, type BackendStats, type BackendWriteResult, NO_REJECTIONS } from './backend.js';

/**
 * Accepts and counts every point, keeps nothing: for benchmarks (the proxy's own cost) and for
 * checking a deployment's listeners and authentication without a TSD.
 */
export function createNullBackend(): Backend {
  let received = 0;
  let closed = false;
  return {
    type: 'null',
    writable: true,
    write(points: DataPoint[]): Promise<BackendWriteResult> {
      if (closed) {
        return Promise.resolve({
          ok: false,
          status: 503,
          code: 'closed',
          message: 'backend is closed',
          accepted: 0,
        });
      }
      received += points.length;
      return Promise.resolve({ ok: true, accepted: points.length, rejected: NO_REJECTIONS });
    },
    onDrain: () => () => undefined,
    stats(): BackendStats {
      return { type: 'null', received, written: received, rejected: 0, failed: 0, queued: 0 };
    },
    async close() {
      closed = true;
    },
  };
}
