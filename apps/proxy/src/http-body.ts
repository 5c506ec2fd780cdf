import type { IncomingMessage } from 'node:http';
import {
  createGunzip,
  createInflate,
  createInflateRaw,
  type Gunzip,
  type Inflate,
  type InflateRaw,
} from 'node:zlib';

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; status: number; message: string; details?: string };

/**
 * Reads a request body of at most `limit` bytes, as sent and after gzip/deflate decoding (so a
 * small compressed bomb stops at the limit too). Over the limit: 413 at once, nothing more is
 * decoded; the caller closes the connection rather than read the rest. Never rejects.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.resolve(tooLarge(limit, `Content-Length is ${declared}`));
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'deflate') {
    return Promise.resolve({
      ok: false,
      status: 415,
      message: `Unsupported Content-Encoding '${encoding.slice(0, 32)}'`,
      details: 'send the body as is, gzip or deflate',
    });
  }

  return new Promise<BodyResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let raw = 0;
    let done = false;
    let decoder: Gunzip | Inflate | InflateRaw | undefined;

    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      decoder?.destroy();
      resolve(result);
    };
    const keep = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish(tooLarge(limit, encoding === 'identity' ? undefined : 'after decompression'));
        return;
      }
      chunks.push(chunk);
    };
    const makeDecoder = (first: Buffer): Gunzip | Inflate | InflateRaw => {
      let d: Gunzip | Inflate | InflateRaw;
      if (encoding === 'deflate') {
        // HTTP's deflate is zlib-wrapped (RFC 1950), but some clients send raw deflate: the
        // zlib header is recognisable (CM = 8, header checksum divisible by 31).
        const b0 = first[0] ?? 0;
        const b1 = first[1] ?? 0;
        const zlibWrapped = (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
        d = zlibWrapped ? createInflate() : createInflateRaw();
      } else {
        d = createGunzip();
      }
      d.on('data', keep);
      d.on('end', () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
      d.on('error', (error) =>
        finish({
          ok: false,
          status: 400,
          message: `Unable to decompress the ${encoding} request body`,
          details: error.message,
        }),
      );
      return d;
    };
    const onData = (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > limit) {
        finish(tooLarge(limit, undefined));
        return;
      }
      if (encoding === 'identity') keep(chunk);
      else {
        decoder ??= makeDecoder(chunk);
        decoder.write(chunk);
      }
    };
    const onEnd = () => {
      if (encoding === 'identity') finish({ ok: true, body: Buffer.concat(chunks, size) });
      else if (decoder === undefined) finish({ ok: true, body: Buffer.alloc(0) });
      else decoder.end();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', () => finish({ ok: false, status: 400, message: 'the request body could not be read' }));
    req.on('close', () => {
      if (!req.complete) finish({ ok: false, status: 400, message: 'the request was aborted' });
    });
  });
}

function tooLarge(limit: number, what: string | undefined): BodyResult {
  return {
    ok: false,
    status: 413,
    message: 'Request Entity Too Large',
    details: `the body may hold at most ${limit} bytes${what === undefined ? '' : ` (${what})`}`,
  };
}
