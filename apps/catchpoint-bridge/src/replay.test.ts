import { describe, expect, it } from 'vitest';
import { fixtureNodes, fixtureText } from '../test/fixtures.js';
import { TestSink } from '../test/harness.js';
import { Ingest } from './ingest.js';
import { createMapper } from './mapping.js';
import { DEFAULT_MAPPING } from './mapping-options.js';
import { NodeDirectory } from './node-directory.js';
import { replay, splitDocuments } from './replay.js';
import { BridgeMetrics } from './self-metrics.js';

function setup() {
  const sink = new TestSink();
  const ingest = new Ingest({
    directory: new NodeDirectory(fixtureNodes()),
    mapper: createMapper(DEFAULT_MAPPING),
    sink,
    metrics: new BridgeMetrics(),
  });
  return { sink, ingest };
}

const compact = (name: string) => JSON.stringify(JSON.parse(fixtureText(name)));

describe('splitDocuments', () => {
  it('one document, an array, or one per line', () => {
    expect(splitDocuments('a', '{"x":1}')).toEqual({ ok: true, docs: [{ where: 'a', value: { x: 1 } }] });
    expect(splitDocuments('a', '[{"x":1},{"x":2}]')).toEqual({
      ok: true,
      docs: [
        { where: 'a[0]', value: { x: 1 } },
        { where: 'a[1]', value: { x: 2 } },
      ],
    });
    expect(splitDocuments('a', '{"x":1}\n\n{"x":2}\r\n')).toEqual({
      ok: true,
      docs: [
        { where: 'a:1', value: { x: 1 } },
        { where: 'a:3', value: { x: 2 } },
      ],
    });
    expect(splitDocuments('a', '  \n')).toEqual({ ok: true, docs: [] });
    expect(splitDocuments('a', '{"x":1}\n{oops')).toEqual({
      ok: false,
      message: expect.stringMatching(/^a:2: malformed JSON/),
    });
  });
});

describe('replay', () => {
  it('sends every recorded push through the mapping and reports the bad ones by place', async () => {
    const { sink, ingest } = setup();
    const files: Record<string, string> = {
      'a.ndjson': `${compact('web')}\n${compact('dns')}\n{"TestId":1}\n`,
      'b.json': fixtureText('ping'),
    };
    const summary = await replay(['a.ndjson', 'b.json', 'missing.json'], {
      ingest,
      sink,
      read: async (f) => {
        const t = files[f];
        if (t === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        return t;
      },
    });
    expect(summary).toEqual({
      documents: 4,
      accepted: 3,
      points: 29 + 4 + 9,
      rejected: [
        { where: 'a.ndjson:3', message: 'NodeId: missing' },
        { where: 'missing.json', message: 'cannot read (ENOENT)' },
      ],
    });
    expect(sink.points).toHaveLength(42);
  });

  it('waits out a full queue instead of dropping', async () => {
    const { sink, ingest } = setup();
    sink.mode = 'full';
    let flushes = 0;
    sink.flush = async () => {
      flushes++;
      if (flushes === 3) sink.mode = 'ok';
    };
    const summary = await replay(['x'], { ingest, sink, read: async () => fixtureText('dns') });
    expect(summary.accepted).toBe(1);
    expect(flushes).toBe(3);
  });

  it('gives up on a queue that stays full, and says so', async () => {
    const { sink, ingest } = setup();
    sink.mode = 'full';
    const summary = await replay(['x'], {
      ingest,
      sink,
      read: async () => fixtureText('dns'),
      maxRetries: 2,
    });
    expect(summary.rejected).toEqual([{ where: 'x', message: expect.stringContaining('retry later') }]);
  });
});
