import { describe, expect, it } from 'vitest';
import { context } from './__fixtures__/lines.js';
import { BUILTIN_COLLECTOR_NAMES, builtinCollectors, CollectorError } from './index.js';

describe('builtinCollectors', () => {
  it('returns the six collectors in a fixed order with their tcollector intervals', () => {
    expect(builtinCollectors().map((c) => [c.name, c.intervalSeconds])).toEqual([
      ['procstats', 15],
      ['ifstat', 15],
      ['iostat', 60],
      ['dfstat', 60],
      ['netstat', 15],
      ['nfsstat', 15],
    ]);
    expect(BUILTIN_COLLECTOR_NAMES).toEqual([
      'procstats',
      'ifstat',
      'iostat',
      'dfstat',
      'netstat',
      'nfsstat',
    ]);
  });

  it('leaves out the disabled ones (blanks around names and empty entries tolerated)', () => {
    expect(builtinCollectors({ disabled: ['nfsstat', ' dfstat ', ''] }).map((c) => c.name)).toEqual([
      'procstats',
      'ifstat',
      'iostat',
      'netstat',
    ]);
    expect(builtinCollectors({ disabled: [...BUILTIN_COLLECTOR_NAMES] })).toEqual([]);
  });

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => builtinCollectors({ disabled: ['diskstat'] })).toThrow(CollectorError);
    expect(() => builtinCollectors({ disabled: ['diskstat'] })).toThrow(
      /"diskstat".*procstats, ifstat, iostat, dfstat, netstat, nfsstat/,
    );
  });

  it('one intervalSeconds applies to all; a per-collector one wins', () => {
    const collectors = builtinCollectors({ intervalSeconds: 10, iostat: { intervalSeconds: 120 } });
    expect(collectors.map((c) => c.intervalSeconds)).toEqual([10, 10, 120, 10, 10, 10]);
  });

  it('passes the roots to every collector, so collect() needs no context', async () => {
    const ctx = context('modern');
    const collectors = builtinCollectors({
      procRoot: ctx.procRoot,
      sysRoot: ctx.sysRoot,
      dfstat: {
        statfs: async () => ({ bsize: 1n, blocks: 1n, bfree: 1n, bavail: 1n, files: 1n, ffree: 1n }),
      },
    });
    for (const collector of collectors) {
      const points = await collector.collect({ now: ctx.now });
      expect(points.length, collector.name).toBeGreaterThan(0);
      expect(points.every((p) => p.timestamp === 1_700_000_000)).toBe(true);
    }
  });

  it('a context given to collect() wins over the options', async () => {
    const [ifstat] = builtinCollectors({ procRoot: '/nonexistent', disabled: ['procstats'] });
    expect(await ifstat!.collect({ procRoot: '/nonexistent' })).toEqual([]);
    expect((await ifstat!.collect(context('modern'))).length).toBe(32);
  });

  it('refuses a bad interval', () => {
    expect(() => builtinCollectors({ intervalSeconds: 0 })).toThrow(/procstats: intervalSeconds/);
  });
});
