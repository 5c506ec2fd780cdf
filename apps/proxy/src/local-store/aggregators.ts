/**
 * OpenTSDB 2.x's aggregators (`Aggregators.java`): a function over the values at one timestamp
 * (group-by) or in one bucket (downsampling), and the interpolation used for series that have
 * no point at that timestamp. Each has an integer path (`runLong`, used when every input is an
 * integer: results truncate like Java's `long` arithmetic) and a floating-point path
 * (`runDouble`, which skips NaN values the way 2.x does).
 *
 * Values arrive as a range [from, to) of a Float64Array so the hot loops never allocate; there
 * is always at least one value.
 */

/** How a series with no point at a timestamp contributes (`Aggregators.Interpolation`). */
export type Interpolation = 'lerp' | 'zim' | 'max' | 'min' | 'prev';

export interface Aggregator {
  readonly name: string;
  readonly interpolation: Interpolation;
  runLong(values: Float64Array, from: number, to: number): number;
  runDouble(values: Float64Array, from: number, to: number): number;
}

const sum = (interpolation: Interpolation, name: string): Aggregator => ({
  name,
  interpolation,
  runLong(v, from, to) {
    let r = 0;
    for (let i = from; i < to; i++) r += v[i]!;
    return r;
  },
  runDouble(v, from, to) {
    let r = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      const x = v[i]!;
      if (!Number.isNaN(x)) {
        r += x;
        n++;
      }
    }
    return n === 0 ? Number.NaN : r;
  },
});

const min = (interpolation: Interpolation, name: string): Aggregator => ({
  name,
  interpolation,
  runLong(v, from, to) {
    let m = v[from]!;
    for (let i = from + 1; i < to; i++) if (v[i]! < m) m = v[i]!;
    return m;
  },
  runDouble(v, from, to) {
    const first = v[from]!;
    let m = !Number.isNaN(first) ? first : Number.POSITIVE_INFINITY;
    for (let i = from + 1; i < to; i++) {
      const x = v[i]!;
      if (!Number.isNaN(x) && x < m) m = x;
    }
    return m === Number.POSITIVE_INFINITY ? Number.NaN : m;
  },
});

const max = (interpolation: Interpolation, name: string): Aggregator => ({
  name,
  interpolation,
  runLong(v, from, to) {
    let m = v[from]!;
    for (let i = from + 1; i < to; i++) if (v[i]! > m) m = v[i]!;
    return m;
  },
  runDouble(v, from, to) {
    const first = v[from]!;
    let m = !Number.isNaN(first) ? first : Number.NEGATIVE_INFINITY;
    for (let i = from + 1; i < to; i++) {
      const x = v[i]!;
      if (!Number.isNaN(x) && x > m) m = x;
    }
    return m === Number.NEGATIVE_INFINITY ? Number.NaN : m;
  },
});

const avg: Aggregator = {
  name: 'avg',
  interpolation: 'lerp',
  runLong(v, from, to) {
    let r = 0;
    for (let i = from; i < to; i++) r += v[i]!;
    return Math.trunc(r / (to - from));
  },
  runDouble(v, from, to) {
    let r = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      const x = v[i]!;
      if (!Number.isNaN(x)) {
        r += x;
        n++;
      }
    }
    return n === 0 ? Number.NaN : r / n;
  },
};

/** Welford's running variance, in the order and with the edge cases of `StdDev`. */
const dev: Aggregator = {
  name: 'dev',
  interpolation: 'lerp',
  runLong(v, from, to) {
    let oldMean = v[from]!;
    if (to - from === 1) return 0;
    let n = 2;
    let m2 = 0;
    for (let i = from + 1; i < to; i++) {
      const x = v[i]!;
      const newMean = oldMean + (x - oldMean) / n;
      m2 += (x - oldMean) * (x - newMean);
      oldMean = newMean;
      n++;
    }
    return Math.trunc(Math.sqrt(m2 / (n - 1)));
  },
  runDouble(v, from, to) {
    let i = from;
    let oldMean = v[i++]!;
    while (Number.isNaN(oldMean) && i < to) oldMean = v[i++]!;
    if (Number.isNaN(oldMean)) return Number.NaN;
    if (i >= to) return 0;
    let n = 2;
    let m2 = 0;
    for (; i < to; i++) {
      const x = v[i]!;
      if (!Number.isNaN(x)) {
        const newMean = oldMean + (x - oldMean) / n;
        m2 += (x - oldMean) * (x - newMean);
        oldMean = newMean;
        n++;
      }
    }
    return n === 2 ? 0 : Math.sqrt(m2 / (n - 1));
  },
};

const count: Aggregator = {
  name: 'count',
  interpolation: 'zim',
  runLong(_v, from, to) {
    return to - from;
  },
  runDouble(v, from, to) {
    let n = 0;
    for (let i = from; i < to; i++) if (!Number.isNaN(v[i]!)) n++;
    return n;
  },
};

const firstValue = (v: Float64Array, from: number): number => v[from]!;
const lastValue = (v: Float64Array, _from: number, to: number): number => v[to - 1]!;

const none: Aggregator = {
  name: 'none',
  interpolation: 'zim',
  // A `none` group always holds exactly one series, so there is exactly one value.
  runLong: firstValue,
  runDouble: firstValue,
};

/** Both paths multiply every value, NaN included, as 2.x's `Multiply` does. */
function product(v: Float64Array, from: number, to: number): number {
  let r = v[from]!;
  for (let i = from + 1; i < to; i++) r *= v[i]!;
  return r;
}

const multiply: Aggregator = { name: 'mult', interpolation: 'lerp', runLong: product, runDouble: product };

const diff: Aggregator = {
  name: 'diff',
  interpolation: 'lerp',
  runLong(v, from, to) {
    return to - from === 1 ? 0 : v[to - 1]! - v[from]!;
  },
  runDouble(v, from, to) {
    let i = from;
    let first = v[i++]!;
    while (Number.isNaN(first) && i < to) first = v[i++]!;
    if (Number.isNaN(first)) return Number.NaN;
    if (i >= to) return 0;
    return v[to - 1]! - first;
  },
};

const squareSum: Aggregator = {
  name: 'squareSum',
  interpolation: 'zim',
  runLong(v, from, to) {
    let r = 0;
    for (let i = from; i < to; i++) r += v[i]! * v[i]!;
    return r;
  },
  runDouble(v, from, to) {
    let r = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      const x = v[i]!;
      if (!Number.isNaN(x)) {
        r += x * x;
        n++;
      }
    }
    return n === 0 ? Number.NaN : r;
  },
};

const first: Aggregator = { name: 'first', interpolation: 'zim', runLong: firstValue, runDouble: firstValue };
const last: Aggregator = { name: 'last', interpolation: 'zim', runLong: lastValue, runDouble: lastValue };

/** Values of [from, to) without NaNs, sorted ascending (a fresh array: these paths are rare). */
function sortedValues(v: Float64Array, from: number, to: number, dropNaN: boolean): Float64Array {
  let n = 0;
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) {
    const x = v[i]!;
    if (!dropNaN || !Number.isNaN(x)) out[n++] = x;
  }
  return out.subarray(0, n).sort();
}

const median: Aggregator = {
  name: 'median',
  interpolation: 'lerp',
  runLong(v, from, to) {
    const s = sortedValues(v, from, to, false);
    return s[s.length >> 1]!;
  },
  runDouble(v, from, to) {
    const s = sortedValues(v, from, to, true);
    return s.length === 0 ? Number.NaN : s[s.length >> 1]!;
  },
};

type Estimation = 'legacy' | 'r3' | 'r7';

/** Apache Commons Math `Percentile.evaluate` for the estimation types OpenTSDB exposes. */
function percentileOf(sorted: Float64Array, p: number, estimation: Estimation): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return sorted[0]!;
  const q = p / 100;
  if (estimation === 'r3') {
    if (q <= 0.5 / n) return sorted[0]!;
    const h = roundHalfEven(n * q);
    return sorted[Math.min(n, Math.max(1, h)) - 1]!;
  }
  const pos = estimation === 'r7' ? (q === 1 ? n : (n - 1) * q + 1) : q * (n + 1);
  if (pos < 1) return sorted[0]!;
  if (pos >= n) return sorted[n - 1]!;
  const floor = Math.floor(pos);
  const lower = sorted[floor - 1]!;
  const upper = sorted[floor]!;
  return lower + (pos - floor) * (upper - lower);
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function percentile(p: number, name: string, estimation: Estimation): Aggregator {
  return {
    name,
    interpolation: 'lerp',
    runLong(v, from, to) {
      return Math.trunc(percentileOf(sortedValues(v, from, to, false), p, estimation));
    },
    // OpenTSDB 2.x ignores the estimation type on the floating-point path (it builds a plain
    // `new Percentile(p)`), so the ep* aggregators use the legacy estimate there too.
    runDouble(v, from, to) {
      return percentileOf(sortedValues(v, from, to, true), p, 'legacy');
    },
  };
}

const PERCENTILES: readonly [number, string][] = [
  [99.9, '999'],
  [99, '99'],
  [95, '95'],
  [90, '90'],
  [75, '75'],
  [50, '50'],
];

const ALL: readonly Aggregator[] = [
  sum('lerp', 'sum'),
  min('lerp', 'min'),
  max('lerp', 'max'),
  avg,
  none,
  median,
  multiply,
  dev,
  diff,
  count,
  sum('zim', 'zimsum'),
  min('max', 'mimmin'),
  max('min', 'mimmax'),
  first,
  last,
  sum('prev', 'pfsum'),
  squareSum,
  ...PERCENTILES.flatMap(([p, suffix]) => [
    percentile(p, 'p' + suffix, 'legacy'),
    percentile(p, 'ep' + suffix + 'r3', 'r3'),
    percentile(p, 'ep' + suffix + 'r7', 'r7'),
  ]),
];

const BY_NAME = new Map(ALL.map((a) => [a.name, a]));

/** `Aggregators.get`: exact, case-sensitive names. */
export function getAggregator(name: string): Aggregator | undefined {
  return BY_NAME.get(name);
}

/** Every aggregator name, sorted (what `/api/aggregators` lists). */
export function aggregatorNames(): string[] {
  return [...BY_NAME.keys()].sort();
}
