import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parsePutLine } from '@otsdb/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSink } from './file-sink.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cp-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const point = (value: number) => ({
  metric: 'catchpoint.timing.total',
  timestamp: 1714651489609,
  value,
  tags: { test_id: '1', node_id: '312', city: 'Jinan' },
});

describe('FileSink (file mode)', () => {
  it('appends one OpenTSDB put line per point, readable by a TSD', async () => {
    const file = join(dir, 'points.txt');
    const sink = new FileSink({ path: file });
    expect(sink.write([point(842), point(12.5)])).toEqual({ accepted: true });
    await sink.close();
    const again = new FileSink({ path: file });
    again.write([point(1)]);
    await again.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines).toEqual([
      'put catchpoint.timing.total 1714651489609 842 city=Jinan node_id=312 test_id=1',
      'put catchpoint.timing.total 1714651489609 12.5 city=Jinan node_id=312 test_id=1',
      'put catchpoint.timing.total 1714651489609 1 city=Jinan node_id=312 test_id=1',
      '',
    ]);
    for (const l of lines.filter((x) => x !== '')) expect(parsePutLine(l).ok).toBe(true);
  });

  it('refuses writes while more than the limit waits for the disk, and after close', async () => {
    const pending: Array<() => void> = [];
    // A disk that only completes writes when told to.
    const slow = new Writable({
      highWaterMark: 64,
      write(_chunk, _enc, cb) {
        pending.push(cb);
      },
    });
    const sink = new FileSink({ path: 'unused', stream: slow, maxBufferedBytes: 200 });
    expect(sink.write([point(1)])).toEqual({ accepted: true });
    expect(sink.write([point(2), point(3)])).toEqual({ accepted: true });
    expect(sink.write([point(4)])).toEqual({ accepted: false, reason: 'queue_full' });
    const flushed = sink.flush();
    while (pending.length > 0) pending.shift()!();
    await flushed;
    expect(sink.write([point(5)])).toEqual({ accepted: true });
    while (pending.length > 0) pending.shift()!();
    await sink.close();
    expect(sink.write([point(6)])).toEqual({ accepted: false, reason: 'closed' });
  });

  it('reports a file it cannot write as not accepted', async () => {
    const sink = new FileSink({ path: join(dir, 'missing-dir', 'x.txt') });
    sink.write([point(1)]);
    const deadline = Date.now() + 10_000;
    while (sink.error === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(sink.write([point(2)])).toEqual({
      accepted: false,
      reason: expect.stringMatching(/^file error: /),
    });
    await sink.close();
  });
});
