import type { DataPoint } from '@otsdb/protocol';
import {
  type Backend,
  type BackendStats,
  type BackendWriteResult,
  type LineBatch,
  NO_REJECTIONS,
} from './backend.js';

/**
 * Accepts and counts every point, keeps nothing: for benchmarks (the proxy's own cost) and for
 * checking a deployment's listeners and authentication without a TSD.
 */
export function createNullBackend(): Backend {
  let received = 0;
  let closed = false;
  const take = (count: number): Promise<BackendWriteResult> => {
    if (closed) {
      return Promise.resolve({
        ok: false,
        status: 503,
        code: 'closed',
        message: 'backend is closed',
        accepted: 0,
      });
    }
    received += count;
    return Promise.resolve({ ok: true, accepted: count, rejected: NO_REJECTIONS });
  };
  return {
    type: 'null',
    writable: true,
    write: (points: DataPoint[]) => take(points.length),
    writeLines: (batch: LineBatch) => take(batch.count),
    onDrain: () => () => undefined,
    stats(): BackendStats {
      return { type: 'null', received, written: received, rejected: 0, failed: 0, queued: 0 };
    },
    async close() {
      closed = true;
    },
  };
}
