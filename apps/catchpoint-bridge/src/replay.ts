import { readFile } from 'node:fs/promises';
import type { Ingest, IngestOutcome } from './ingest.js';
import type { Sink } from './sink.js';

/**
 * Feeds recorded pushes through the same path as the webhook: a backfill after an outage, a
 * test of a mapping change, or the payloads the NS1 bridge's users saved. A source is a file
 * or `-` (stdin) holding one JSON document, a JSON array of documents, or one document per
 * line (NDJSON).
 */
export interface ReplaySummary {
  documents: number;
  accepted: number;
  points: number;
  /** `source:line` or `source[index]`, then the reason. */
  rejected: Array<{ where: string; message: string }>;
}

export interface ReplayOptions {
  ingest: Ingest;
  sink: Sink;
  /** Reads a source; stdin for `-`. Injected by tests. */
  read?: (source: string) => Promise<string>;
  /** A full queue is waited out (flush, then retry) this many times before giving up. Default 20. */
  maxRetries?: number;
  /** Largest source read whole. Default 256 MiB. */
  maxBytes?: number;
}

async function readSource(source: string): Promise<string> {
  if (source !== '-') return readFile(source, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Splits a source into documents; each carries where it came from for error messages. */
export function splitDocuments(
  source: string,
  text: string,
): { ok: true; docs: Array<{ where: string; value: unknown }> } | { ok: false; message: string } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return { ok: true, docs: [] };
  try {
    const whole: unknown = JSON.parse(trimmed);
    if (Array.isArray(whole))
      return { ok: true, docs: whole.map((value, i) => ({ where: `${source}[${i}]`, value })) };
    return { ok: true, docs: [{ where: source, value: whole }] };
  } catch {
    // Not one document: try one per line.
  }
  const docs: Array<{ where: string; value: unknown }> = [];
  const lines = trimmed.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      docs.push({ where: `${source}:${i + 1}`, value: JSON.parse(line) });
    } catch (err) {
      return { ok: false, message: `${source}:${i + 1}: malformed JSON: ${(err as Error).message}` };
    }
  }
  return { ok: true, docs };
}

export async function replay(sources: readonly string[], options: ReplayOptions): Promise<ReplaySummary> {
  const read = options.read ?? readSource;
  const maxRetries = options.maxRetries ?? 20;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const summary: ReplaySummary = { documents: 0, accepted: 0, points: 0, rejected: [] };
  for (const source of sources) {
    let text: string;
    try {
      text = await read(source);
    } catch (err) {
      summary.rejected.push({
        where: source,
        message: `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      });
      continue;
    }
    if (Buffer.byteLength(text) > maxBytes) {
      summary.rejected.push({ where: source, message: `larger than ${maxBytes} bytes; split it` });
      continue;
    }
    const split = splitDocuments(source, text);
    if (!split.ok) {
      summary.rejected.push({ where: source, message: split.message });
      continue;
    }
    for (const doc of split.docs) {
      summary.documents++;
      let outcome: IngestOutcome = await options.ingest.accept(doc.value);
      // Unlike a Catchpoint node, replay can wait: let the sender drain and try again.
      for (let attempt = 0; !outcome.ok && outcome.status === 503 && attempt < maxRetries; attempt++) {
        await options.sink.flush();
        outcome = await options.ingest.accept(doc.value);
      }
      if (outcome.ok) {
        summary.accepted++;
        summary.points += outcome.points;
      } else {
        summary.rejected.push({ where: doc.where, message: outcome.message });
      }
    }
  }
  return summary;
}
