import { Dedup, type DedupStats } from '@otsdb/dedup';
import {
  type DataPoint,
  type PointError,
  type ProtocolOptions,
  parseCollectorLine,
  type Tags,
  validatePoint,
} from '@otsdb/protocol';
import type { Logger } from 'pino';

/**
 * From a collector's raw line to a point handed to the sink: tcollector's checks (whitespace
 * collapsed, 1024-character limit, metric/tag/value/timestamp rules), namespace prefix, default
 * tags, max-tags, then dedup with one state per collector that survives between runs of an
 * interval collector.
 */

/** Where accepted points go. Returns false when the point was dropped (buffer full). */
export interface PointSink {
  write(point: DataPoint): boolean;
}

/** Why a line was not sent: a protocol rule, tcollector's length limit, or dedup's ordering rule. */
export type InvalidReason = PointError['code'] | 'out_of_order';

export interface SourceCounters {
  /** Lines read from the collector (tcollector's `lines_received`). */
  received: number;
  /** Points handed to the sink, replays of held-back points included (`lines_sent`). */
  sent: number;
  /** Lines rejected, per tcollector's rules plus max-tags and out-of-order (`lines_invalid`). */
  invalid: number;
  /** Points the sink refused because its buffer was full. */
  dropped: number;
  /** Points held back by dedup (not counted as sent unless replayed later). */
  suppressed: number;
  /** Milliseconds since the epoch of the last line read, if any. */
  lastLineAt: number | undefined;
}

export function newSourceCounters(): SourceCounters {
  return { received: 0, sent: 0, invalid: 0, dropped: 0, suppressed: 0, lastLineAt: undefined };
}

/** What the pipeline does to each line (the agent config's `lines` section). */
export interface LineSettings {
  /** Added to every point that does not carry the key already. */
  tags: Readonly<Tags>;
  /** Prepended to every metric; empty or ending with a dot. */
  namespacePrefix: string;
  maxTags: number;
  dedupInterval: number;
  evictInterval: number;
  dedupOnlyZero: boolean;
  dedupMaxSeries: number;
}

export interface LinePipelineOptions extends LineSettings {
  sink: PointSink;
  logger: Logger;
  /** Invalid lines of one collector are logged at most once per this interval. */
  logIntervalMs: number;
  clock?: () => number;
}

/** OpenTSDB's TSD closes a telnet connection on lines this long (PipelineFactory's frame limit). */
export const MAX_LINE_LENGTH = 1024;
const MAX_LOGGED_LINE = 200;

interface Source {
  name: string;
  counters: SourceCounters;
  dedup: Dedup;
  emit: (point: DataPoint) => void;
  lastLogAt: number;
  unlogged: number;
  /** Dedup's out-of-order count already reported, to tell a dropped point from a held-back one. */
  outOfOrderSeen: number;
}

export class LinePipeline {
  private readonly sources = new Map<string, Source>();
  private readonly globalTags: [string, string][];
  private readonly parseOptions: ProtocolOptions;
  private readonly clock: () => number;
  private linesCollected = 0;
  private linesDropped = 0;

  constructor(private readonly options: LinePipelineOptions) {
    this.globalTags = Object.entries(options.tags);
    // Tag count is checked after default tags are added; zero tags is checked here too.
    this.parseOptions = { maxTags: 0x7fff, tagsOptional: true };
    this.clock = options.clock ?? Date.now;
  }

  /** One line as a collector printed it (without the newline). */
  acceptLine(sourceName: string, raw: string): void {
    let line = raw;
    // tcollector: `' '.join(line.split())`; the test keeps the common clean line allocation-free.
    if (needsCollapse(line)) {
      line = line.trim().replace(/\s+/g, ' ');
      // tcollector skips blank lines without counting them.
      if (line === '') return;
    }
    const source = this.received(sourceName);
    if (line.length >= MAX_LINE_LENGTH) {
      this.reject(
        source,
        'line_too_long',
        `line of ${line.length} characters; the limit is ${MAX_LINE_LENGTH - 1}`,
        line,
      );
      return;
    }
    let result = parseCollectorLine(line, this.parseOptions);
    if (!result.ok && result.error.code === 'invalid_value') {
      // tcollector turns boolean values into 1 and 0 (with a warning) rather than dropping them.
      const fixed = booleanValueLine(line);
      if (fixed !== undefined) result = parseCollectorLine(fixed, this.parseOptions);
    }
    if (!result.ok) {
      this.reject(source, result.error.code, result.error.message, line);
      return;
    }
    const point = result.point;
    if (this.options.namespacePrefix !== '') point.metric = this.options.namespacePrefix + point.metric;
    this.admit(source, point, line);
  }

  /**
   * A point from a built-in collector: checked with the protocol rules (it never came through
   * the line parser), then the same prefix, tags and dedup as lines.
   */
  acceptPoint(sourceName: string, input: DataPoint): void {
    const source = this.received(sourceName);
    const point: DataPoint = { ...input, tags: { ...input.tags } };
    if (this.options.namespacePrefix !== '') point.metric = this.options.namespacePrefix + point.metric;
    const error = validatePoint(point, this.parseOptions);
    if (error !== undefined) {
      this.reject(
        source,
        error.code,
        error.message,
        `${point.metric} ${point.timestamp} ${String(point.value)}`,
      );
      return;
    }
    this.admit(source, point, undefined);
  }

  /** A line the framer refused before it could be read whole (longer than its buffer). */
  rejectOversize(sourceName: string, length: number): void {
    const source = this.received(sourceName);
    this.reject(
      source,
      'line_too_long',
      `line of ${length}+ bytes; the limit is ${MAX_LINE_LENGTH - 1}`,
      undefined,
    );
  }

  /** Points that bypass dedup (self-metrics), still with the default tags. */
  writeDirect(point: DataPoint): boolean {
    this.addDefaultTags(point.tags);
    return this.options.sink.write(point);
  }

  /** Forgets series idle for the evict interval, sending their held-back points. */
  evict(): void {
    for (const source of this.sources.values()) source.dedup.evict(source.emit);
  }

  /** Sends every held-back point (before shutdown), keeping the dedup state. */
  flush(): void {
    for (const source of this.sources.values()) source.dedup.flush(source.emit);
  }

  /** A collector is gone for good: send its held-back points and forget its state. */
  forget(sourceName: string): void {
    const source = this.sources.get(sourceName);
    if (source === undefined) return;
    source.dedup.flush(source.emit);
    this.sources.delete(sourceName);
  }

  counters(sourceName: string): SourceCounters | undefined {
    return this.sources.get(sourceName)?.counters;
  }

  sourceNames(): string[] {
    return [...this.sources.keys()];
  }

  dedupStats(sourceName: string): DedupStats | undefined {
    return this.sources.get(sourceName)?.dedup.stats();
  }

  /** tcollector's reader counters. */
  totals(): { linesCollected: number; linesDropped: number } {
    return { linesCollected: this.linesCollected, linesDropped: this.linesDropped };
  }

  private admit(source: Source, point: DataPoint, line: string | undefined): void {
    const tags = point.tags;
    let count = 0;
    for (const _key in tags) count++;
    for (const [key] of this.globalTags) if (!(key in tags)) count++;
    if (count > this.options.maxTags) {
      this.reject(
        source,
        'too_many_tags',
        `${count} tags with the default tags added; the limit is ${this.options.maxTags} (--max-tags)`,
        line,
      );
      return;
    }
    if (count === 0) {
      this.reject(source, 'missing_tags', 'Need at least one tag (give a default tag with -t)', line);
      return;
    }
    // Dedup keys on the line's own tags: the default tags are the same for every point, so the
    // series are the same, and the keys stay short.
    const emitted = source.dedup.push(point, source.emit);
    if (emitted === 0) {
      const outOfOrder = source.dedup.outOfOrder;
      if (outOfOrder > source.outOfOrderSeen) {
        source.outOfOrderSeen = outOfOrder;
        this.reject(source, 'out_of_order', 'timestamp is not after the previous one of this series', line);
      } else {
        source.counters.suppressed++;
      }
    }
  }

  /** Counts one line (or point) read from the source. */
  private received(sourceName: string): Source {
    const source = this.source(sourceName);
    this.linesCollected++;
    source.counters.received++;
    source.counters.lastLineAt = this.clock();
    return source;
  }

  private addDefaultTags(tags: Tags): void {
    for (const [key, value] of this.globalTags) if (!(key in tags)) tags[key] = value;
  }

  private reject(source: Source, code: InvalidReason, message: string, line: string | undefined): void {
    source.counters.invalid++;
    const now = this.clock();
    if (now - source.lastLogAt >= this.options.logIntervalMs) {
      this.options.logger.warn(
        {
          collector: source.name,
          code,
          line:
            line === undefined || line.length <= MAX_LOGGED_LINE
              ? line
              : `${line.slice(0, MAX_LOGGED_LINE)}...`,
          invalidSinceLastLog: source.unlogged,
        },
        `${source.name} sent an invalid line: ${message}`,
      );
      source.lastLogAt = now;
      source.unlogged = 0;
    } else {
      source.unlogged++;
    }
  }

  private source(name: string): Source {
    let source = this.sources.get(name);
    if (source !== undefined) return source;
    const counters = newSourceCounters();
    const sink = this.options.sink;
    const emit = (point: DataPoint) => {
      this.addDefaultTags(point.tags);
      if (sink.write(point)) {
        counters.sent++;
      } else {
        counters.dropped++;
        this.linesDropped++;
      }
    };
    source = {
      name,
      counters,
      dedup: new Dedup({
        dedupInterval: this.options.dedupInterval,
        evictInterval: this.options.evictInterval,
        onlyZero: this.options.dedupOnlyZero,
        maxSeries: this.options.dedupMaxSeries,
        outOfOrder: 'drop',
        clock: this.clock,
      }),
      emit,
      lastLogAt: Number.NEGATIVE_INFINITY,
      unlogged: 0,
      outOfOrderSeen: 0,
    };
    this.sources.set(name, source);
    return source;
  }
}

/** Whether tcollector's whitespace collapsing would change the line. */
function needsCollapse(line: string): boolean {
  const n = line.length;
  if (n === 0) return true;
  let prevSpace = true; // a leading space needs trimming
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) {
      if (prevSpace) return true;
      prevSpace = true;
    } else if (c <= 13 && c >= 9) {
      return true;
    } else if (c === 0xa0 || c === 0xfeff || (c >= 0x1680 && c <= 0x3000 && /\s/.test(line[i]!))) {
      return true;
    } else {
      prevSpace = false;
    }
  }
  return prevSpace;
}

/** The line with a `true`/`false` value (any case) replaced by 1/0, or undefined. */
function booleanValueLine(line: string): string | undefined {
  const parts = line.split(' ');
  const value = parts[2]?.toLowerCase();
  if (value === 'true') parts[2] = '1';
  else if (value === 'false') parts[2] = '0';
  else return undefined;
  return parts.join(' ');
}
