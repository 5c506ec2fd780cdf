import { encodedLines as encoded } from '@otsdb/testkit/encoded-lines';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at, client, fakeTsd, T0 } from './__fixtures__/harness.js';

// Client.writeLines: encoded put lines forwarded as they are (telnet) or parsed (anything else).

const LINES = [
  `put sys.cpu.user ${T0} 42.5 host=web01 cpu=0`,
  `put sys.cpu.user ${T0 + 1} -7 host=web01 cpu=1`,
  `put m ${T0}123 007 a=b`,
];

describe('Client.writeLines', () => {
  it('telnet without additions: the lines go out byte for byte, acknowledged as a transaction', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], hostTag: false });
    const { data, ends, count } = encoded(LINES);
    const result = await c.writeLines(data, ends, count);
    expect(result).toMatchObject({ ok: true, accepted: 3 });
    expect(await tsd.waitForLines(3)).toEqual(LINES);
    expect(c.stats()).toMatchObject({ sent: 3, queued: 0 });
  });

  it('a block larger than the queue chunks is split across them in order', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], hostTag: false, maxQueue: 100_000 });
    const many = Array.from(
      { length: 20_000 },
      (_, i) => `put m ${T0 + i} ${i} host=h${i % 7} k=${'v'.repeat(i % 30)}x`,
    );
    const { data, ends, count } = encoded(many);
    expect(data.length).toBeGreaterThan(256 * 1024 * 2);
    expect(await c.writeLines(data, ends, count)).toMatchObject({ ok: true, accepted: 20_000 });
    expect(await tsd.waitForLines(20_000)).toEqual(many);
  });

  it('refuses badly framed lines by index and queues nothing of the write', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], hostTag: false, maxLineLength: 60 });
    const good = `put m ${T0} 1 a=b\n`;
    const cases: Array<[string, string]> = [
      ['get m 1 1 a=b\n', 'must start with "put "'],
      [`put m ${T0} 1 a=b`, 'must end with its only newline'],
      [`put m ${T0} 1 a=b\ndiediedie\n`, 'must end with its only newline'],
      [`put m ${T0} 1 a=${'x'.repeat(60)}\n`, 'longer than maxLineLength 60'],
    ];
    for (const [bad, why] of cases) {
      const data = Buffer.from(good + bad);
      const result = await c.writeLines(data, [good.length, data.length], 2);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.error.code).toBe('invalid_point');
      expect(result.invalid).toHaveLength(1);
      expect(result.invalid[0]!.index).toBe(1);
      expect(result.invalid[0]!.error.message).toContain(why);
    }
    // Offsets that do not describe the data are refused too.
    const data = Buffer.from(good);
    expect((await c.writeLines(data, [good.length + 10], 1)).ok).toBe(false);
    expect((await c.writeLines(data, [0], 1)).ok).toBe(false);
    expect(c.stats()).toMatchObject({ queued: 0, sent: 0 });
    expect(await c.writeLines(data, [good.length], 1)).toMatchObject({ ok: true, accepted: 1 });
    expect(await tsd.waitForLines(1)).toEqual([good.trim()]);
  });

  it('all or nothing: a write the queue cannot hold is refused whole', async () => {
    const tsd = await fakeTsd({ mode: { kind: 'stall' } });
    const c = client({ hosts: [at(tsd)], hostTag: false, maxQueue: 4 });
    const { data, ends, count } = encoded([...LINES, ...LINES]);
    const result = await c.writeLines(data, ends, count);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('queue_full');
    expect(c.stats().queued).toBe(0);
  });

  it('a client that adds a host tag parses the lines and writes points', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)] });
    const { data, ends, count } = encoded([`put a ${T0} 1 x=y`, `put b ${T0} 2 host=own`]);
    expect(await c.writeLines(data, ends, count)).toMatchObject({ ok: true, accepted: 2 });
    expect(await tsd.waitForLines(2)).toEqual([`put a ${T0} 1 x=y host=testhost`, `put b ${T0} 2 host=own`]);
  });

  it('over HTTP the lines become /api/put points; a line the rules refuse is reported by index', async () => {
    const tsd = await fakeTsd({ protocol: 'http' });
    const c = client({ hosts: [at(tsd)], protocol: 'http', hostTag: false, lingerMs: 0 });
    const { data, ends, count } = encoded(LINES);
    expect(await c.writeLines(data, ends, count)).toMatchObject({ ok: true, accepted: 3 });
    const points = await tsd.waitForPoints(3);
    expect(points.map((p) => [p.metric, p.timestamp, p.tags])).toEqual([
      ['sys.cpu.user', T0, { cpu: '0', host: 'web01' }],
      ['sys.cpu.user', T0 + 1, { cpu: '1', host: 'web01' }],
      ['m', T0 * 1000 + 123, { a: 'b' }],
    ]);
    const bad = encoded([LINES[0]!, `put m ${T0} 1x a=b`]);
    const refused = await c.writeLines(bad.data, bad.ends, bad.count);
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.invalid.map((i) => [i.index, i.error.code])).toEqual([[1, 'invalid_value']]);
  });

  it('over HTTP without a host tag plainly valid lines are written as entries from their bytes', async () => {
    const tsd = await fakeTsd({ protocol: 'http' });
    const c = client({ hosts: [at(tsd)], protocol: 'http', hostTag: false, lingerMs: 0 });
    expect(c.forwardsLines).toBe(true);
    expect(client({ hosts: [at(tsd)], protocol: 'http' }).forwardsLines).toBe(false); // host tag
    const lines = Array.from(
      { length: 2000 },
      (_, i) => `put m.${i % 3} 0${T0 + i} ${i % 2 ? -i : i / 4} k=v${i} c=x`,
    );
    const { data, ends, count } = encoded(lines);
    expect(await c.writeLines(data, ends, count, { handOver: true })).toMatchObject({
      ok: true,
      accepted: 2000,
    });
    const points = await tsd.waitForPoints(2000);
    expect(points.map((p) => [p.metric, p.timestamp, p.value, p.tags])).toEqual(
      lines.map((_, i) => [`m.${i % 3}`, T0 + i, i % 2 ? -i : i / 4, { k: `v${i}`, c: 'x' }]),
    );
    expect(c.stats()).toMatchObject({ sent: 2000, queued: 0 });
    // maxLineLength is a telnet TSD's limit: an entry has none, as for points written over HTTP.
    const short = client({
      hosts: [at(tsd)],
      protocol: 'http',
      hostTag: false,
      lingerMs: 0,
      maxLineLength: 40,
    });
    const long = encoded([`put m ${T0} 1 k=${'v'.repeat(100)}`]);
    expect(await short.writeLines(long.data, long.ends, long.count)).toMatchObject({ ok: true, accepted: 1 });
  });

  it('property: a newline anywhere inside a line is found, at any offset and alignment', async () => {
    const tsd = await fakeTsd();
    const c = client({ hosts: [at(tsd)], hostTag: false, maxLineLength: 0 });
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 70 }).map((b) => b.map((x) => (x === 10 ? 11 : x))),
        fc.nat(8),
        fc.option(fc.nat(80), { nil: undefined }),
        async (body, lead, newlineAt) => {
          const line = Buffer.concat([Buffer.from('put '), Buffer.from(body)]);
          const pos = newlineAt === undefined ? -1 : 4 + (newlineAt % (body.length + 1));
          const injected = pos >= 0 && pos < line.length;
          if (injected) line[pos] = 10;
          // At an odd offset in a larger buffer, as in a slab.
          const data = Buffer.concat([Buffer.alloc(lead, 0x41), line, Buffer.from('\n')]).subarray(lead);
          const result = await c.writeLines(data, [line.length + 1], 1);
          expect(result.ok).toBe(!injected);
          if (!result.ok) expect(result.invalid[0]?.error.message).toContain('only newline');
        },
      ),
      { numRuns: 300 },
    );
  });
});
