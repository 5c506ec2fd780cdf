// Load generator for the webhook benchmarks, run as a child process (so its CPU time is its own
// and it shares no event loop with the bridge). Plain JavaScript: no TypeScript loader needed.
//
// It is a minimal HTTP/1.1 client in the manner of wrk: `connections` keep-alive TCP connections,
// one request in flight on each (no pipelining), every response read whole (status line, headers,
// Content-Length body) before the next request goes out on that connection. A connection the
// server closes (or answers with `connection: close`) is opened again. Each request is a recorded
// Catchpoint push (a template from the parent with its own TestId and NodeId) with a fresh
// `Summary.Timestamp`: a millisecond counter, so no two requests carry the same run time.
//
// Protocol with the parent (IPC): receives { port, path, templates: [{ body, tsOffset, points }],
// connections, phases: [{ name, durationMs, baseMs }] }; sends { start: name, at } when a phase
// starts and { phase, sent, statuses, points, elapsedMs, cpuMs } when it ends (`points`: the sum
// of the templates' `points` over the pushes answered 200), then exits.
import { connect } from 'node:net';

const CRLF2 = Buffer.from('\r\n\r\n');

function pad(n, width) {
  return String(n).padStart(width, '0');
}

/** `yyyyMMddHHmmssfff` (UTC); the second part is cached since consecutive calls share it. */
let cachedSecond = -1;
let cachedPrefix = '';
function catchpointTimestamp(ms) {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedSecond = second;
    cachedPrefix =
      pad(d.getUTCFullYear(), 4) +
      pad(d.getUTCMonth() + 1, 2) +
      pad(d.getUTCDate(), 2) +
      pad(d.getUTCHours(), 2) +
      pad(d.getUTCMinutes(), 2) +
      pad(d.getUTCSeconds(), 2);
  }
  return cachedPrefix + pad(ms - second * 1000, 3);
}

function run(config) {
  const { port, path, connections } = config;
  // Whole requests (head and body) per template; the timestamp is written into a copy.
  const requests = config.templates.map(({ body, tsOffset, points }) => {
    const bodyBytes = Buffer.from(body, 'utf8');
    const head = Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: catchpoint-bridge-bench\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${bodyBytes.length}\r\n\r\n`,
      'latin1',
    );
    const offset = head.length + Buffer.byteLength(body.slice(0, tsOffset), 'utf8');
    return { bytes: Buffer.concat([head, bodyBytes]), offset, points };
  });

  let next = 0;
  let seq = 0;

  function runPhase(phase) {
    return new Promise((resolve, reject) => {
      // Absolute time (shared with the parent), since the parent may read this message late.
      process.send({ start: phase.name, at: performance.timeOrigin + performance.now() });
      seq = 0;
      const statuses = {};
      let sent = 0;
      let points = 0;
      let open = 0;
      let failed;
      const cpuStart = process.cpuUsage();
      const started = performance.now();
      const deadline = started + phase.durationMs;

      const finishOne = () => {
        if (--open > 0) return;
        if (failed) return reject(failed);
        const cpu = process.cpuUsage(cpuStart);
        resolve({
          phase: phase.name,
          sent,
          statuses,
          points,
          elapsedMs: performance.now() - started,
          cpuMs: (cpu.user + cpu.system) / 1000,
        });
      };

      const lane = () => {
        let socket;
        let pending = Buffer.alloc(0);
        let inFlight = false;
        let stopped = false;
        let current;

        const send = () => {
          if (performance.now() >= deadline) {
            stopped = true;
            socket.end();
            return;
          }
          const r = requests[next];
          current = r;
          next = next + 1 === requests.length ? 0 : next + 1;
          const bytes = Buffer.allocUnsafe(r.bytes.length);
          r.bytes.copy(bytes);
          bytes.write(catchpointTimestamp(phase.baseMs + seq++), r.offset, 17, 'latin1');
          inFlight = true;
          socket.write(bytes);
        };

        const open1 = () => {
          socket = connect({ port, host: '127.0.0.1', noDelay: true });
          pending = Buffer.alloc(0);
          socket.on('connect', send);
          socket.on('data', (chunk) => {
            pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
            for (;;) {
              const end = pending.indexOf(CRLF2);
              if (end === -1) return;
              const head = pending.toString('latin1', 0, end);
              const status = Number(head.slice(9, 12));
              const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
              const length = lengthMatch ? Number(lengthMatch[1]) : 0;
              if (pending.length < end + 4 + length) return;
              pending = pending.subarray(end + 4 + length);
              statuses[status] = (statuses[status] ?? 0) + 1;
              if (status === 200) points += current.points;
              sent++;
              inFlight = false;
              if (/\r\nconnection:\s*close/i.test(head)) {
                socket.destroy();
                return;
              }
              send();
            }
          });
          socket.on('error', (err) => {
            // Not answering a request in flight is counted at 'close'; failing to connect ends the phase.
            if (!stopped && !inFlight) {
              failed ??= err;
              stopped = true;
            }
          });
          socket.on('close', () => {
            if (stopped) return finishOne();
            // The server closed the connection (after a 413, or at shutdown): a request in
            // flight on it is lost; count it and go on with a new connection.
            if (inFlight) statuses.closed = (statuses.closed ?? 0) + 1;
            inFlight = false;
            if (performance.now() >= deadline) return finishOne();
            open1();
          });
        };
        open++;
        open1();
      };
      for (let i = 0; i < connections; i++) lane();
    });
  }

  return (async () => {
    for (const phase of config.phases) process.send(await runPhase(phase));
  })();
}

process.once('message', (config) => {
  run(config).then(
    () => process.disconnect(),
    (err) => {
      process.send({ error: String(err?.stack ?? err) });
      process.disconnect();
    },
  );
});
