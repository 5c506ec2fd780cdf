import type { DataPoint } from '@otsdb/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { captureLogger } from './__fixtures__/capture-logger.js';
import { LinePipeline, type LinePipelineOptions } from './line-pipeline.js';

function setup(overrides: Partial<LinePipelineOptions> = {}, accept = () => true) {
  const sent: DataPoint[] = [];
  const { logger, records } = captureLogger();
  let now = 1_700_000_000_000;
  const pipeline = new LinePipeline({
    sink: {
      write(point) {
        if (!accept()) return false;
        sent.push(point);
        return true;
      },
    },
    tags: { host: 'web-1', dc: 'ams1' },
    namespacePrefix: '',
    maxTags: 8,
    dedupInterval: 0,
    evictInterval: 6000,
    dedupOnlyZero: false,
    dedupMaxSeries: 1000,
    logger,
    logIntervalMs: 60_000,
    clock: () => now,
    ...overrides,
  });
  return {
    pipeline,
    sent,
    logs: records,
    advance(ms: number) {
      now += ms;
    },
    lines: () => sent.map((p) => `${p.metric} ${p.timestamp} ${p.valueText ?? String(p.value)}`),
  };
}

describe('LinePipeline: tcollector line rules', () => {
  it('turns a line into a point with the default tags; a tag on the line wins', () => {
    const { pipeline, sent } = setup();
    pipeline.acceptLine('c', 'sys.cpu 1700000000 42 cpu=0 dc=lon1');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      metric: 'sys.cpu',
      timestamp: 1700000000,
      value: 42,
      tags: { cpu: '0', dc: 'lon1', host: 'web-1' },
    });
    expect(pipeline.counters('c')).toMatchObject({ received: 1, sent: 1, invalid: 0 });
  });

  it('collapses whitespace like tcollector and ignores blank lines without counting them', () => {
    const { pipeline, sent } = setup();
    pipeline.acceptLine('c', '  sys.cpu\t1700000000   42  cpu=0 \r');
    pipeline.acceptLine('c', '   ');
    pipeline.acceptLine('c', '');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.tags.cpu).toBe('0');
    expect(pipeline.counters('c')?.received).toBe(1);
    expect(pipeline.totals().linesCollected).toBe(1);
  });

  it('rejects lines of 1024 characters or more (after collapsing)', () => {
    const { pipeline, sent } = setup();
    const base = ' 1700000000 1 a=b';
    const metricFor = (total: number) => 'm'.repeat(total - base.length);
    pipeline.acceptLine('c', metricFor(1023) + base);
    pipeline.acceptLine('c', metricFor(1024) + base);
    // Spaces collapse first, so this one is short enough.
    pipeline.acceptLine('c', `${metricFor(1000)}${' '.repeat(50)}${base}`);
    expect(sent.map((p) => p.metric.length)).toEqual([1023 - base.length, 1000 - base.length]);
    expect(pipeline.counters('c')).toMatchObject({ received: 3, sent: 2, invalid: 1 });
  });

  it.each([
    ['bad metric chars', 'sys cpu! 1700000000 1 a=b'],
    ['no value', 'sys.cpu 1700000000'],
    ['bad timestamp', 'sys.cpu 17000x0000 1 a=b'],
    ['bad value', 'sys.cpu 1700000000 12abc a=b'],
    ['bad tag', 'sys.cpu 1700000000 1 a'],
    ['garbage', '#!%^&*'],
  ])('rejects %s, never sending it', (_why, line) => {
    const { pipeline, sent } = setup();
    pipeline.acceptLine('c', line);
    expect(sent).toEqual([]);
    expect(pipeline.counters('c')).toMatchObject({ received: 1, invalid: 1, sent: 0 });
  });

  it('logs invalid lines at most once per interval per collector, with the reason and a count', () => {
    const { pipeline, logs, advance } = setup();
    pipeline.acceptLine('c', 'bad line one');
    pipeline.acceptLine('c', 'bad line two');
    pipeline.acceptLine('other', 'bad line three');
    expect(logs.filter((r) => r.collector === 'c')).toHaveLength(1);
    expect(logs.filter((r) => r.collector === 'other')).toHaveLength(1);
    expect(logs[0]).toMatchObject({ collector: 'c', line: 'bad line one', invalidSinceLastLog: 0 });
    expect(String(logs[0]?.msg)).toMatch(/^c sent an invalid line: /);
    advance(60_000);
    pipeline.acceptLine('c', 'bad line four');
    expect(logs.filter((r) => r.collector === 'c')).toHaveLength(2);
    expect(logs.at(-1)).toMatchObject({ line: 'bad line four', invalidSinceLastLog: 1 });
  });

  it('turns boolean values into 1 and 0, as tcollector does', () => {
    const { pipeline, sent } = setup();
    pipeline.acceptLine('c', 'up 1700000000 True a=b');
    pipeline.acceptLine('c', 'up 1700000001 false a=b');
    expect(sent.map((p) => Number(p.value))).toEqual([1, 0]);
  });

  it('prefixes metrics with the namespace', () => {
    const { pipeline, sent } = setup({ namespacePrefix: 'prod.' });
    pipeline.acceptLine('c', 'sys.cpu 1700000000 1 a=b');
    expect(sent[0]?.metric).toBe('prod.sys.cpu');
  });

  it('rejects points with more tags than max-tags once the default tags are added', () => {
    const { pipeline, sent } = setup({ maxTags: 4 });
    pipeline.acceptLine('c', 'm 1700000000 1 a=1 b=2');
    pipeline.acceptLine('c', 'm 1700000000 1 a=1 b=2 c=3');
    pipeline.acceptLine('c', 'm 1700000000 1 a=1 b=2 host=x');
    expect(sent).toHaveLength(2);
    expect(pipeline.counters('c')?.invalid).toBe(1);
  });

  it('rejects a point left without any tag', () => {
    const { pipeline, sent } = setup({ tags: {} });
    pipeline.acceptLine('c', 'm 1700000000 1');
    expect(sent).toEqual([]);
    expect(pipeline.counters('c')?.invalid).toBe(1);
  });

  it('keeps millisecond and sec.mmm timestamps (as a TSD reads them)', () => {
    const { pipeline, sent } = setup();
    pipeline.acceptLine('c', 'm 1700000000123 1 a=b');
    pipeline.acceptLine('c', 'm 1700000001.500 1 a=b');
    // OpenTSDB wants exactly three decimals; tcollector passed this on and the TSD refused it.
    pipeline.acceptLine('c', 'm 1700000001.5 1 a=b');
    expect(sent.map((p) => p.timestamp)).toEqual([1700000000123, 1700000001500]);
    expect(pipeline.counters('c')?.invalid).toBe(1);
  });

  it('counts points the sink refused as dropped (reader.lines_dropped)', () => {
    let room = 1;
    const { pipeline } = setup({}, () => room-- > 0);
    pipeline.acceptLine('c', 'm 1700000000 1 a=b');
    pipeline.acceptLine('c', 'm 1700000001 2 a=b');
    expect(pipeline.counters('c')).toMatchObject({ sent: 1, dropped: 1 });
    expect(pipeline.totals()).toEqual({ linesCollected: 2, linesDropped: 1 });
  });

  it('never throws and never sends what it counted invalid (any input)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 20 }), (lines) => {
        const { pipeline, sent } = setup();
        for (const line of lines) pipeline.acceptLine('c', line);
        const c = pipeline.counters('c');
        if (c === undefined) return sent.length === 0;
        return c.sent + c.invalid === c.received && sent.length === c.sent;
      }),
    );
  });
});

describe('LinePipeline: dedup', () => {
  const dedup = { dedupInterval: 300, evictInterval: 6000 };

  it('holds back repeats and replays the last one before a change (tcollector semantics)', () => {
    const { pipeline, lines } = setup(dedup);
    for (let t = 0; t < 5; t++) pipeline.acceptLine('c', `m ${1700000000 + t} 7 a=b`);
    pipeline.acceptLine('c', 'm 1700000005 8 a=b');
    expect(lines()).toEqual(['m 1700000000 7', 'm 1700000004 7', 'm 1700000005 8']);
    expect(pipeline.counters('c')).toMatchObject({ received: 6, sent: 3, suppressed: 4, invalid: 0 });
  });

  it('sends a repeated value again once the dedup interval has passed', () => {
    const { pipeline, lines } = setup(dedup);
    pipeline.acceptLine('c', 'm 1700000000 7 a=b');
    pipeline.acceptLine('c', 'm 1700000100 7 a=b');
    pipeline.acceptLine('c', 'm 1700000300 7 a=b');
    expect(lines()).toEqual(['m 1700000000 7', 'm 1700000300 7']);
  });

  it('handles millisecond timestamps with the same interval in seconds', () => {
    const { pipeline, lines } = setup(dedup);
    pipeline.acceptLine('c', 'm 1700000000000 7 a=b');
    pipeline.acceptLine('c', 'm 1700000299999 7 a=b');
    pipeline.acceptLine('c', 'm 1700000300000 7 a=b');
    expect(lines()).toEqual(['m 1700000000000 7', 'm 1700000300000 7']);
  });

  it('drops and counts points out of order within a series', () => {
    const { pipeline, sent } = setup(dedup);
    pipeline.acceptLine('c', 'm 1700000010 1 a=b');
    pipeline.acceptLine('c', 'm 1700000005 2 a=b');
    pipeline.acceptLine('c', 'm 1700000010 3 a=b');
    expect(sent).toHaveLength(1);
    expect(pipeline.counters('c')).toMatchObject({ invalid: 2, suppressed: 0 });
  });

  it('keeps state per collector across its runs, and separately per collector', () => {
    const { pipeline, lines } = setup(dedup);
    pipeline.acceptLine('a', 'm 1700000000 1 x=y');
    pipeline.acceptLine('b', 'm 1700000000 1 x=y');
    // a's next run (an interval collector) repeats the value: held back.
    pipeline.acceptLine('a', 'm 1700000015 1 x=y');
    expect(lines()).toEqual(['m 1700000000 1', 'm 1700000000 1']);
  });

  it('flush and forget send the held-back points', () => {
    const { pipeline, lines } = setup(dedup);
    pipeline.acceptLine('a', 'm 1700000000 1 x=y');
    pipeline.acceptLine('a', 'm 1700000015 1 x=y');
    pipeline.acceptLine('b', 'n 1700000000 1 x=y');
    pipeline.acceptLine('b', 'n 1700000015 1 x=y');
    pipeline.flush();
    expect(lines().slice(2)).toEqual(['m 1700000015 1', 'n 1700000015 1']);
    pipeline.acceptLine('b', 'n 1700000030 1 x=y');
    pipeline.forget('b');
    expect(lines().at(-1)).toBe('n 1700000030 1');
    expect(pipeline.sourceNames()).toEqual(['a']);
  });

  it('evicts idle series after the evict interval, sending their held-back point', () => {
    const { pipeline, lines, advance } = setup({ dedupInterval: 10, evictInterval: 20 });
    pipeline.acceptLine('a', 'm 1700000000 1 x=y');
    pipeline.acceptLine('a', 'm 1700000001 1 x=y');
    pipeline.evict();
    expect(lines()).toHaveLength(1);
    advance(25_000);
    pipeline.evict();
    advance(25_000);
    pipeline.evict();
    expect(lines()).toEqual(['m 1700000000 1', 'm 1700000001 1']);
    expect(pipeline.dedupStats('a')?.series).toBe(0);
  });

  it('adds the default tags to replayed points too', () => {
    const { pipeline, sent } = setup(dedup);
    pipeline.acceptLine('a', 'm 1700000000 1 x=y');
    pipeline.acceptLine('a', 'm 1700000001 1 x=y');
    pipeline.acceptLine('a', 'm 1700000002 2 x=y');
    expect(sent.map((p) => p.tags)).toEqual([
      { x: 'y', host: 'web-1', dc: 'ams1' },
      { x: 'y', host: 'web-1', dc: 'ams1' },
      { x: 'y', host: 'web-1', dc: 'ams1' },
    ]);
  });
});

describe('LinePipeline: points from built-in collectors', () => {
  it('validates, prefixes, tags and dedups them like lines, without touching the caller’s object', () => {
    const { pipeline, sent } = setup({ namespacePrefix: 'p.', dedupInterval: 300 });
    const point: DataPoint = { metric: 'proc.loadavg.1min', timestamp: 1700000000, value: 0.5, tags: {} };
    pipeline.acceptPoint('builtin.procstats', point);
    pipeline.acceptPoint('builtin.procstats', { ...point, timestamp: 1700000015 });
    pipeline.acceptPoint('builtin.procstats', {
      metric: 'bad metric',
      timestamp: 1700000000,
      value: 1,
      tags: {},
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ metric: 'p.proc.loadavg.1min', tags: { host: 'web-1', dc: 'ams1' } });
    expect(point).toEqual({ metric: 'proc.loadavg.1min', timestamp: 1700000000, value: 0.5, tags: {} });
    expect(pipeline.counters('builtin.procstats')).toMatchObject({
      received: 3,
      sent: 1,
      suppressed: 1,
      invalid: 1,
    });
  });

  it('writes self-metrics directly with the default tags, bypassing dedup', () => {
    const { pipeline, sent } = setup({ dedupInterval: 300 });
    for (let i = 0; i < 2; i++) {
      pipeline.writeDirect({
        metric: 'tcollector.reader.lines_collected',
        timestamp: 1700000000 + i,
        value: 0,
        tags: {},
      });
    }
    expect(sent).toHaveLength(2);
    expect(sent[0]?.tags).toEqual({ host: 'web-1', dc: 'ams1' });
  });
});
