import { describe, expect, it } from 'vitest';
import { context, lines, TS } from './__fixtures__/lines.js';
import { CollectorError } from './errors.js';
import { CLASSIC_PHYSICAL_INTERFACES, createIfStat, type IfStatOptions } from './ifstat.js';

// /proc/net/dev column order, restated from the kernel's header (`face |bytes packets errs drop
// fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed`) with
// tcollector's classic metric names.
const IN = ['bytes', 'packets', 'errs', 'dropped', 'fifo.errs', 'frame.errs', 'compressed', 'multicast'];
const OUT = ['bytes', 'packets', 'errs', 'dropped', 'fifo.errs', 'collisions', 'carrier.errs', 'compressed'];

/** The expected lines of one interface, values as printed (`12n` for a bigint, null for no point). */
function iface(name: string, values: readonly (number | string | null)[]): string[] {
  expect(values).toHaveLength(16);
  return values.flatMap((v, i) =>
    v === null
      ? []
      : [`proc.net.${i < 8 ? IN[i] : OUT[i - 8]} ${TS} ${v} direction=${i < 8 ? 'in' : 'out'} iface=${name}`],
  );
}

const zeros = (n: number): number[] => Array.from({ length: n }, () => 0);
const all = (v: number): number[] => Array.from({ length: 16 }, () => v);

describe('ifstat on recorded /proc trees', () => {
  it.each<[string, string[]]>([
    [
      'modern',
      [
        // bond0 is left out: its traffic is already counted on the enslaved interfaces.
        ...iface('lo', [106969, 534, ...zeros(6), 106969, 534, ...zeros(6)]),
        ...iface('eth0', [218088127, 5918, 1, 2, 3, 4, 5, 6, 368296, 3768, 7, 8, 9, 10, 11, 12]),
      ],
    ],
    [
      'old-kernel',
      [
        ...iface('lo', [5353823, 40000, ...zeros(6), 5353823, 40000, ...zeros(6)]),
        // No blank after the colon when the byte counter is wide.
        ...iface('eth0', [4294967296123, 900000001, 0, 0, 0, 0, 0, 400, 123456789, 800000, ...zeros(6)]),
        ...iface('sit0', zeros(16)),
      ],
    ],
    [
      'odd',
      [
        ...iface(
          'br-4f2a1c',
          Array.from({ length: 16 }, (_, i) => i + 1),
        ),
        ...iface('eth0.100', all(1)),
        // `#` is not allowed in an OpenTSDB tag value; Unicode letters are.
        ...iface('tap_1', all(2)),
        ...iface('名前0', all(3)),
        // Skipped: a line with 15 counters, one with a non-number, bond0.5 (a bond).
        // A counter beyond int64 is dropped alone; one beyond 2^53 stays exact.
        ...iface('wide0', [null, '9223372036854775807n', ...zeros(6), '9007199254740993n', ...zeros(7)]),
      ],
    ],
    ['missing', []],
  ])('%s', async (name, expected) => {
    expect(lines(await createIfStat().collect(context(name)))).toEqual(expected);
  });
});

describe('ifstat interface selection', () => {
  const names = async (options: IfStatOptions): Promise<string[]> => {
    const points = await createIfStat(options).collect(context('interfaces'));
    return [...new Set(points.map((p) => p.tags['iface']!))];
  };

  it('excludes bonds by default', async () => {
    expect(await names({})).toEqual([
      'lo',
      'eth0',
      'veth1a2b3c',
      'enp0s31f6',
      'docker0',
      'em1',
      'wlp2s0',
      'enX0',
    ]);
  });

  it('exclude: null keeps everything', async () => {
    expect(await names({ exclude: null })).toContain('bond0');
  });

  it("the classic allowlist keeps physical NIC names only, as tcollector's older regex did", async () => {
    expect(await names({ include: CLASSIC_PHYSICAL_INTERFACES })).toEqual([
      'eth0',
      'enp0s31f6',
      'em1',
      'wlp2s0',
    ]);
  });

  it('accepts patterns as strings, and a global flag does not make matching alternate', async () => {
    const collector = createIfStat({ include: /^(lo|eth0|em1)$/g, exclude: '^lo$' });
    const ctx = context('interfaces');
    const first = await collector.collect(ctx);
    const second = await collector.collect(ctx);
    expect([...new Set(first.map((p) => p.tags['iface']))]).toEqual(['eth0', 'em1']);
    expect(first).toHaveLength(32);
    expect(lines(second)).toEqual(lines(first));
  });

  it.each<[IfStatOptions, RegExp]>([
    [{ include: '(' }, /include/],
    [{ exclude: '[' }, /exclude/],
    [{ intervalSeconds: -5 }, /intervalSeconds/],
  ])('refuses %j', (options, message) => {
    expect(() => createIfStat(options)).toThrow(CollectorError);
    expect(() => createIfStat(options)).toThrow(message);
  });
});
