import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { selfMetricPoints, tagValue } from './self-metrics.js';
import { StatusServer } from './status-server.js';

let server: StatusServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('StatusServer', () => {
  it('serves the status as JSON and health as 200 then 503 when stopping', async () => {
    let healthy = true;
    server = new StatusServer({
      host: '127.0.0.1',
      port: 0,
      status: () => ({ collectors: [{ name: 'a', state: 'running' }] }),
      healthy: () => ({ ok: healthy, detail: { held: 3 } }),
    });
    const { port } = await server.start();
    const status = await get(port, '/');
    expect(status.status).toBe(200);
    expect(status.type).toMatch(/^application\/json/);
    expect(JSON.parse(status.body)).toEqual({ collectors: [{ name: 'a', state: 'running' }] });
    expect((await get(port, '/status?x=1')).status).toBe(200);

    expect(JSON.parse((await get(port, '/health')).body)).toEqual({ status: 'ok', held: 3 });
    healthy = false;
    const stopping = await get(port, '/health');
    expect(stopping.status).toBe(503);
    expect(JSON.parse(stopping.body).status).toBe('stopping');

    expect((await get(port, '/nope')).status).toBe(404);
    expect((await get(port, '/', 'POST')).status).toBe(405);
    const head = await get(port, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 500 with the message when building the status fails', async () => {
    server = new StatusServer({
      host: '127.0.0.1',
      port: 0,
      status: () => {
        throw new Error('boom');
      },
      healthy: () => ({ ok: true, detail: {} }),
    });
    const { port } = await server.start();
    const res = await get(port, '/');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: 'boom' });
  });

  it('rejects start when the port is taken', async () => {
    server = new StatusServer({
      host: '127.0.0.1',
      port: 0,
      status: () => ({}),
      healthy: () => ({ ok: true, detail: {} }),
    });
    const { port } = await server.start();
    const second = new StatusServer({
      host: '127.0.0.1',
      port,
      status: () => ({}),
      healthy: () => ({ ok: true, detail: {} }),
    });
    await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
    await second.close();
  });
});

describe('selfMetricPoints', () => {
  it('uses tcollector names with collector= tags', () => {
    const counters = { received: 5, sent: 3, invalid: 2, dropped: 0, suppressed: 0, lastLineAt: undefined };
    const points = selfMetricPoints({
      timestamp: 1700000000,
      linesCollected: 9,
      linesDropped: 1,
      collectors: [{ name: 'my collector.py', counters }],
      sink: { accepted: 3, dropped: 1, invalid: 0, held: 0, client: undefined },
    });
    const byName = new Map(
      points.map((p) => [`${p.metric}${p.tags.collector ? `{${p.tags.collector}}` : ''}`, p.value]),
    );
    expect(byName.get('tcollector.reader.lines_collected')).toBe(9);
    expect(byName.get('tcollector.reader.lines_dropped')).toBe(1);
    expect(byName.get('tcollector.collector.lines_received{my_collector.py}')).toBe(5);
    expect(byName.get('tcollector.collector.lines_sent{my_collector.py}')).toBe(3);
    expect(byName.get('tcollector.collector.lines_invalid{my_collector.py}')).toBe(2);
    expect(points.every((p) => p.timestamp === 1700000000)).toBe(true);
  });

  it('turns file names into valid tag values', () => {
    expect(tagValue('a b@c.py')).toBe('a_b_c.py');
    expect(tagValue('')).toBe('_');
    expect(tagValue('ünïcode-ok_1/x')).toBe('ünïcode-ok_1/x');
    // OpenTSDB takes letters (one UTF-16 unit each), not other scripts' digits.
    expect(tagValue('٣𝔸.py')).toBe('__.py');
  });
});
