/**
 * Payload of one WAL record: a batch of points, with the series it names for the first time in
 * its segment. Series are numbered per segment (0, 1, 2, ... in order of first use), so a
 * segment replays on its own and a point costs ~19 bytes instead of repeating its series name.
 *
 *   u8      kind = 1 (points)
 *   varint  number of new series
 *     varint  local id
 *     varint  byte length, then the UTF-8 series key `metric{k1=v1,k2=v2}` (keys sorted)
 *   varint  number of points
 *     varint  local id
 *     f64 LE  timestamp (ms)
 *     u8      flags: bit 0 = integer value
 *     f64 LE  value
 */

import { GrowableBytes } from './growable-bytes.js';

export const KIND_POINTS = 1;

/** Points waiting to be written, in columns (one object per write call, not per point). */
export interface PointBatch {
  /** Series keys (`seriesKey(metric, tags)`); names never contain { } = , so keys parse back. */
  readonly keys: readonly string[];
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly isInt: Uint8Array;
  readonly n: number;
}

export interface DecodedRecord {
  readonly defs: readonly { localId: number; key: string }[];
  readonly localIds: Uint32Array;
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly isInt: Uint8Array;
  readonly n: number;
}

export class RecordFormatError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

class ByteWriter extends GrowableBytes {
  view: DataView = new DataView(this.buf.buffer);
  protected override grown(): void {
    this.view = new DataView(this.buf.buffer);
  }
  varint(n: number): void {
    this.ensure(5);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Encodes batches for the active segment; `dictionary` maps series key -> local id. */
export function encodeBatches(batches: readonly PointBatch[], dictionary: Map<string, number>): Uint8Array {
  let total = 0;
  for (const b of batches) total += b.n;
  const ids = new Uint32Array(total);
  const newKeys: string[] = [];
  let p = 0;
  for (const b of batches) {
    for (let i = 0; i < b.n; i++) {
      const key = b.keys[i]!;
      let id = dictionary.get(key);
      if (id === undefined) {
        id = dictionary.size;
        dictionary.set(key, id);
        newKeys.push(key);
      }
      ids[p++] = id;
    }
  }
  const w = new ByteWriter(16 + newKeys.length * 64 + total * 22);
  w.ensure(1);
  w.buf[w.pos++] = KIND_POINTS;
  w.varint(newKeys.length);
  for (const key of newKeys) {
    const bytes = encoder.encode(key);
    w.varint(dictionary.get(key)!);
    w.varint(bytes.length);
    w.bytes(bytes);
  }
  w.varint(total);
  w.ensure(total * 22);
  const buf = w.buf;
  const view = w.view;
  let pos = w.pos;
  p = 0;
  for (const b of batches) {
    for (let i = 0; i < b.n; i++) {
      let id = ids[p++]!;
      while (id >= 0x80) {
        buf[pos++] = (id & 0x7f) | 0x80;
        id >>>= 7;
      }
      buf[pos++] = id;
      view.setFloat64(pos, b.t[i]!, true);
      buf[pos + 8] = b.isInt[i]!;
      view.setFloat64(pos + 9, b.v[i]!, true);
      pos += 17;
    }
  }
  return buf.subarray(0, pos);
}

/** Decodes a record payload completely (nothing is applied unless the whole record is sound). */
export function decodeRecord(payload: Uint8Array): DecodedRecord {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const len = payload.length;
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= len) throw new RecordFormatError('record ends inside a varint');
      const b = payload[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 35) throw new RecordFormatError('varint too long');
    }
  };
  if (len < 1 || payload[0] !== KIND_POINTS) throw new RecordFormatError(`unknown record kind ${payload[0]}`);
  pos = 1;
  const nDefs = varint();
  const defs: { localId: number; key: string }[] = [];
  for (let d = 0; d < nDefs; d++) {
    const localId = varint();
    const byteLen = varint();
    if (pos + byteLen > len) throw new RecordFormatError('series key runs past the record');
    let key: string;
    try {
      key = decoder.decode(payload.subarray(pos, pos + byteLen));
    } catch {
      throw new RecordFormatError('series key is not UTF-8');
    }
    pos += byteLen;
    if (parseSeriesKey(key) === undefined)
      throw new RecordFormatError(`malformed series key ${JSON.stringify(key)}`);
    defs.push({ localId, key });
  }
  const n = varint();
  if (n > (len - pos) / 18) throw new RecordFormatError('point count exceeds the record size');
  const localIds = new Uint32Array(n);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const isInt = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // Local ids below 16384 take one or two bytes: read those inline (the replay hot loop).
    const b0 = payload[pos]!;
    if (b0 < 0x80) {
      localIds[i] = b0;
      pos++;
    } else {
      const b1 = payload[pos + 1];
      if (b1 !== undefined && b1 < 0x80) {
        localIds[i] = (b0 & 0x7f) | (b1 << 7);
        pos += 2;
      } else {
        localIds[i] = varint();
      }
    }
    if (pos + 17 > len) throw new RecordFormatError('point runs past the record');
    t[i] = view.getFloat64(pos, true);
    isInt[i] = payload[pos + 8]! & 1;
    v[i] = view.getFloat64(pos + 9, true);
    pos += 17;
  }
  if (pos !== len) throw new RecordFormatError('trailing bytes after the last point');
  return { defs, localIds, t, v, isInt, n };
}

/** `metric{k1=v1,...}` back to its parts; undefined when it is not a well-formed key. */
export function parseSeriesKey(key: string): { metric: string; tags: Record<string, string> } | undefined {
  const open = key.indexOf('{');
  if (open <= 0 || key.charCodeAt(key.length - 1) !== 125) return undefined;
  const tags: Record<string, string> = Object.create(null);
  const inner = key.slice(open + 1, -1);
  if (inner !== '') {
    for (const pair of inner.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1 || pair.indexOf('=', eq + 1) >= 0) return undefined;
      tags[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return { metric: key.slice(0, open), tags };
}
