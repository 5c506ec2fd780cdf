import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import type { DataPoint } from '@otsdb/protocol';
import { makeTempDir, type TempDir } from '@otsdb/testkit/temp-dir';
import {
  type ExportedPoint,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from '@otsdb/testkit/victoria-metrics';
import { waitFor } from '@otsdb/testkit/wait-for';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../src/__fixtures__/capture-logger.js';
import { type AgentHandle, type AgentStatus, startAgent } from '../src/main.js';

// The agent end to end: a directory of real collectors (shell, Node, Python, crashing, silent,
// exit 13, garbage), a fake built-in collector, a real VictoriaMetrics as the TSD. Every valid
// point must be read back exactly; the bad lines must be counted, never stored.

let tmp: TempDir;
let vm: VictoriaMetrics | undefined;
let agent: AgentHandle | undefined;

beforeEach(async () => {
  tmp = await makeTempDir('agent-e2e-');
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await vm?.stop();
  vm = undefined;
  await tmp.remove();
});

async function collector(rel: string, content: string): Promise<void> {
  const path = join(tmp.path, 'collectors', rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  await chmod(path, 0o755);
}

function getJson(port: number, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(JSON.parse(body)));
    })
      .on('error', reject)
      .end();
  });
}

const HOST = 'e2e-host';
/** Blank lines: output that keeps a collector from counting as silent, and is no data point. */
const KEEPALIVE = 'while :; do echo; sleep 0.2; done\n';

function point(metric: string, seconds: number, value: number, src: string, ms?: number): ExportedPoint {
  return { metric, tags: { host: HOST, src }, timestamp: ms ?? seconds * 1000, value };
}

function sortPoints(points: ExportedPoint[]): ExportedPoint[] {
  const key = (p: ExportedPoint) =>
    `${p.metric} ${JSON.stringify(Object.entries(p.tags).sort())} ${p.timestamp}`;
  return [...points].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

describe.each(['telnet', 'http'] as const)('agent end to end over %s', (protocol) => {
  it('delivers every valid point exactly and counts the bad ones', async () => {
    vm = await startVictoriaMetrics();
    const B = Math.floor(Date.now() / 1000) - 600;
    const countFile = join(tmp.path, 'python.count');

    await collector(
      '0/shell.sh',
      `#!/bin/sh\necho "e2e.shell ${B} 1 src=shell"\necho "e2e.shell ${B + 1} 2 src=shell"\nprintf 'e2e.shell ${B + 2}\\t3   src=shell\\n'\n${KEEPALIVE}`,
    );
    await collector(
      '0/node.mjs',
      `#!${process.execPath}\n` +
        `console.log('e2e.node ${B} 1.5 src=node');\n` +
        `console.log('e2e.node ${B + 1} -2.25 src=node');\n` +
        `process.stdout.write('e2e.node ${B * 1000 + 2500} 9 src=node-ms\\n');\n` +
        "setInterval(() => process.stdout.write('\\n'), 200);\n",
    );
    await collector(
      '1/python.py',
      '#!/usr/bin/python3\nimport os\n' +
        `p = ${JSON.stringify(countFile)}\n` +
        'n = int(open(p).read()) if os.path.exists(p) else 0\n' +
        'open(p, "w").write(str(n + 1))\n' +
        `print("e2e.python %d %d src=python" % (${B} + n, n), flush=True)\n`,
    );
    await collector('0/crash.sh', '#!/bin/sh\necho "about to crash" >&2\nexit 1\n');
    await collector('0/silent.sh', '#!/bin/sh\nexec sleep 1000\n');
    await collector('0/thirteen.sh', `#!/bin/sh\necho "e2e.thirteen ${B} 13 src=thirteen"\nexit 13\n`);
    await collector(
      '0/garbage.sh',
      `#!/bin/sh\necho "this is not a metric"\necho "e2e.garbage notatimestamp 1 a=b"\necho "e2e.garbage ${B} 1 bad tag"\necho "e2e.garbage ${B} 42 src=garbage"\n${KEEPALIVE}`,
    );
    await mkdir(join(tmp.path, 'collectors', 'lib'));

    let builtinCalls = 0;
    const fakeBuiltin = {
      name: 'fake',
      intervalSeconds: 1,
      async collect(): Promise<DataPoint[]> {
        builtinCalls++;
        return builtinCalls === 1
          ? [{ metric: 'e2e.builtin', timestamp: B, value: 7, tags: { src: 'builtin' } }]
          : [];
      },
    };

    const { logger, records } = captureLogger('info');
    agent = await startAgent(
      {
        collectorDir: join(tmp.path, 'collectors'),
        host: '127.0.0.1',
        port: protocol === 'telnet' ? vm.telnetPort : vm.httpPutPort,
        http: protocol === 'http',
        telnetTimestamps: 'seconds',
        allowedInactivityTime: 1,
        deadRetryMin: 0.5,
        deadRetryMax: 1,
        respawnBackoffMin: 0.2,
        respawnBackoffMax: 1,
        statsInterval: 1,
        statusPort: 0,
        shutdownTimeout: 10,
      },
      { logger, hostname: HOST, builtinCollectors: [fakeBuiltin] },
    );
    const handle = agent;
    const byName = (name: string) => handle.status().collectors.find((c) => c.name === name);

    const summary = () =>
      JSON.stringify(
        handle.status().collectors.map((c) => ({
          name: c.name,
          state: c.state,
          counters: c.counters,
          runs: (c.details as { runs?: number }).runs,
        })),
      );
    await waitFor(
      () =>
        (byName('python.py')?.counters.sent ?? 0) >= 3 &&
        (byName('silent.sh')?.details as { runs?: number } | undefined)?.runs! >= 2 &&
        byName('crash.sh')?.state === 'dead' &&
        byName('thirteen.sh')?.state === 'disabled' &&
        byName('garbage.sh')?.counters.invalid === 3 &&
        byName('node.mjs')?.counters.sent === 3 &&
        byName('builtin.fake')?.counters.sent === 1,
      { timeoutMs: 20_000, description: 'all collectors in their expected state' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${summary()}`);
    });

    const status = (await getJson(handle.statusAddress!.port, '/')) as AgentStatus;
    const garbage = status.collectors.find((c) => c.name === 'garbage.sh')!;
    expect(garbage).toMatchObject({ type: 'external', interval: 0, state: 'running' });
    expect(garbage.counters).toMatchObject({ received: 4, sent: 1, invalid: 3 });
    expect(garbage.pid).toBeGreaterThan(0);
    expect(garbage.lastLineAt).toBeGreaterThan(0);
    expect(status.collectors.find((c) => c.name === 'python.py')).toMatchObject({ interval: 1 });
    expect(await getJson(handle.statusAddress!.port, '/health')).toMatchObject({ status: 'ok' });
    expect(records.some((r) => r.msg === 'crash.sh: about to crash')).toBe(true);
    expect(records.some((r) => r.collector === 'garbage.sh' && /invalid line/.test(String(r.msg)))).toBe(
      true,
    );

    const exit = await handle.stop();
    expect(exit).toEqual({ ok: true, abandoned: 0 });

    // A python run cut short by the shutdown may have counted itself without printing: the
    // points expected are exactly those the agent read and sent.
    const pythonSent = handle.status().collectors.find((c) => c.name === 'python.py')!.counters.sent;
    const pythonRuns = Number(await readFile(countFile, 'utf8'));
    expect(pythonSent).toBeGreaterThanOrEqual(Math.max(3, pythonRuns - 1));
    const expected: ExportedPoint[] = [
      point('e2e.shell', B, 1, 'shell'),
      point('e2e.shell', B + 1, 2, 'shell'),
      point('e2e.shell', B + 2, 3, 'shell'),
      point('e2e.node', B, 1.5, 'node'),
      point('e2e.node', B + 1, -2.25, 'node'),
      // Telnet to VictoriaMetrics carries seconds (its listener drops ms): truncated there.
      point('e2e.node', B + 2, 9, 'node-ms', protocol === 'telnet' ? (B + 2) * 1000 : B * 1000 + 2500),
      point('e2e.thirteen', B, 13, 'thirteen'),
      point('e2e.garbage', B, 42, 'garbage'),
      point('e2e.builtin', B, 7, 'builtin'),
    ];
    for (let n = 0; n < pythonSent; n++) expected.push(point('e2e.python', B + n, n, 'python'));
    const stored = await vm.exportPoints('{__name__=~"e2e[.].*"}');
    expect(sortPoints(stored)).toEqual(sortPoints(expected));

    // Self-metrics under tcollector's names reached the TSD too.
    const invalid = await vm.exportPoints(
      '{__name__="tcollector.collector.lines_invalid",collector="garbage.sh"}',
    );
    expect(invalid.length).toBeGreaterThan(0);
    expect(Math.max(...invalid.map((p) => p.value))).toBe(3);
    expect(invalid[0]?.tags.host).toBe(HOST);
    const collected = await vm.exportPoints('{__name__="tcollector.reader.lines_collected"}');
    expect(collected.length).toBeGreaterThan(0);
  }, 60_000);
});
