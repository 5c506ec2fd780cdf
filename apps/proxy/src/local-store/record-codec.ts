/**
 * Payload of one WAL record: a batch of points, with the series it names for the first time in
 * its segment. Series are numbered per segment (0, 1, 2, ... in order of first use), so a
 * segment replays on its own and a point costs ~18 bytes instead of repeating its series name.
 *
 *   u8      kind = 1 (points)
 *   varint  number of new series
 *     varint  local id
 *     varint  byte length, then UTF-8 of: metric NUL tagk NUL tagv NUL tagk NUL tagv ...
 *   varint  number of points
 *     varint  local id
 *     f64 LE  timestamp (ms)
 *     u8      flags: bit 0 = integer value
 *     f64 LE  value
 */

export const KIND_POINTS = 1;

/** Points waiting to be written, in columns (one object per write call, not per point). */
export interface PointBatch {
  readonly keys: readonly string[];
  readonly metrics: readonly string[];
  readonly tags: readonly Readonly<Record<string, string>>[];
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly isInt: Uint8Array;
  readonly n: number;
}

export interface DecodedRecord {
  readonly defs: readonly { localId: number; metric: string; tags: Record<string, string> }[];
  readonly localIds: Uint32Array;
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly isInt: Uint8Array;
  readonly n: number;
}

export class RecordFormatError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
    this.view = new DataView(this.buf.buffer);
  }
  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
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
  const newKeys: number[] = [];
  const newBatch: number[] = [];
  for (let bi = 0; bi < batches.length; bi++) {
    const b = batches[bi]!;
    for (let i = 0; i < b.n; i++) {
      const key = b.keys[i]!;
      if (!dictionary.has(key)) {
        dictionary.set(key, dictionary.size);
        newBatch.push(bi);
        newKeys.push(i);
      }
    }
  }
  const w = new ByteWriter(16 + newKeys.length * 64 + total * 23);
  w.ensure(1);
  w.buf[w.pos++] = KIND_POINTS;
  w.varint(newKeys.length);
  for (let d = 0; d < newKeys.length; d++) {
    const b = batches[newBatch[d]!]!;
    const i = newKeys[d]!;
    const tags = b.tags[i]!;
    let text = b.metrics[i]!;
    for (const k of Object.keys(tags).sort()) text += '\u0000' + k + '\u0000' + tags[k];
    const bytes = encoder.encode(text);
    w.varint(dictionary.get(b.keys[i]!)!);
    w.varint(bytes.length);
    w.bytes(bytes);
  }
  w.varint(total);
  for (const b of batches) {
    for (let i = 0; i < b.n; i++) {
      w.varint(dictionary.get(b.keys[i]!)!);
      w.ensure(17);
      w.view.setFloat64(w.pos, b.t[i]!, true);
      w.buf[w.pos + 8] = b.isInt[i]!;
      w.view.setFloat64(w.pos + 9, b.v[i]!, true);
      w.pos += 17;
    }
  }
  return w.buf.subarray(0, w.pos);
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
  const defs: { localId: number; metric: string; tags: Record<string, string> }[] = [];
  for (let d = 0; d < nDefs; d++) {
    const localId = varint();
    const byteLen = varint();
    if (pos + byteLen > len) throw new RecordFormatError('series name runs past the record');
    let text: string;
    try {
      text = decoder.decode(payload.subarray(pos, pos + byteLen));
    } catch {
      throw new RecordFormatError('series name is not UTF-8');
    }
    pos += byteLen;
    const parts = text.split('\u0000');
    if (parts.length % 2 !== 1 || parts[0] === '') throw new RecordFormatError('malformed series name');
    const tags: Record<string, string> = Object.create(null);
    for (let i = 1; i < parts.length; i += 2) tags[parts[i]!] = parts[i + 1]!;
    defs.push({ localId, metric: parts[0]!, tags });
  }
  const n = varint();
  if (n > (len - pos) / 18) throw new RecordFormatError('point count exceeds the record size');
  const localIds = new Uint32Array(n);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const isInt = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    localIds[i] = varint();
    if (pos + 17 > len) throw new RecordFormatError('point runs past the record');
    t[i] = view.getFloat64(pos, true);
    isInt[i] = payload[pos + 8]! & 1;
    v[i] = view.getFloat64(pos + 9, true);
    pos += 17;
  }
  if (pos !== len) throw new RecordFormatError('trailing bytes after the last point');
  return { defs, localIds, t, v, isInt, n };
}
