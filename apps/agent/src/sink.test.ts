import { PassThrough } from 'node:stream';
import type { DataPoint } from '@otsdb/protocol';
import { describe, expect, it } from 'vitest';
import { DryRunSink } from './sink.js';

const point = (metric: string, value: number): DataPoint => ({
  metric,
  timestamp: 1_700_000_000,
  value,
  tags: { host: 'a' },
});

/** A stream nobody reads: what the sink holds stays held once the stream's buffer is full. */
function stalledOut(): PassThrough {
  return new PassThrough({ highWaterMark: 1 });
}

describe('DryRunSink', () => {
  it('writes the put lines it would send, each with its newline', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const sink = new DryRunSink(out, 100, 1 << 20);
    expect(sink.write(point('a.b', 1))).toBe(true);
    expect(sink.write(point('a.c', 2))).toBe(true);
    expect(await sink.close(1000)).toEqual({ ok: true, abandoned: 0 });
    expect(text).toBe('put a.b 1700000000 1 host=a\nput a.c 1700000000 2 host=a\n');
    expect(sink.stats()).toMatchObject({ accepted: 2, dropped: 0, held: 0 });
  });

  it('bounds what it holds in bytes as written: UTF-8, newline included', () => {
    const bytes = Buffer.byteLength('put m.é 1700000000 1 host=a') + 1; // 29: é is two bytes
    const fits = (maxBytes: number) => {
      const out = stalledOut();
      out.write('x'); // full: nothing leaves the sink during the test
      const sink = new DryRunSink(out, 100, maxBytes);
      const taken = [1, 2, 3].map((v) => sink.write(point('m.é', v)));
      return { taken, dropped: sink.stats().dropped };
    };
    expect(fits(bytes * 2)).toEqual({ taken: [true, true, false], dropped: 1 });
    // One byte less and the second line no longer fits.
    expect(fits(bytes * 2 - 1)).toEqual({ taken: [true, false, false], dropped: 2 });
  });
});
