import { describe, expect, it } from 'vitest';
import {
  parseTelnetCommand,
  TELNET_DIEDIEDIE_REPLY,
  TELNET_DROPCACHES_REPLY,
  telnetHelpReply,
  telnetStatsReply,
  telnetUnknownCommandReply,
  telnetVersionReply,
} from './telnet.js';

describe('parseTelnetCommand', () => {
  it.each([
    ['put sys.cpu 1 2 a=b', { name: 'put' }],
    ['put', { name: 'put' }],
    ['put\r\n', { name: 'put' }],
    ['version', { name: 'version' }],
    ['version\r', { name: 'version' }],
    ['stats', { name: 'stats' }],
    ['help', { name: 'help' }],
    ['exit', { name: 'exit' }],
    ['dropcaches', { name: 'dropcaches' }],
    ['diediedie', { name: 'diediedie' }],
    ['rollup m 1 2 a=b', { name: 'rollup' }],
    ['histogram m 1 2 a=b', { name: 'histogram' }],
    ['', { name: 'empty' }],
    ['\r\n', { name: 'empty' }],
    ['PUT m 1 2 a=b', { name: 'unknown', word: 'PUT' }],
    ['puts m', { name: 'unknown', word: 'puts' }],
    [' put m 1 2 a=b', { name: 'unknown', word: '' }],
    ['status', { name: 'unknown', word: 'status' }],
    ['GET / HTTP/1.1', { name: 'unknown', word: 'GET' }],
  ])('%j', (line, command) => {
    expect(parseTelnetCommand(line)).toEqual(command);
  });
});

describe("OpenTSDB's telnet replies (without the trailing newline)", () => {
  it('unknown command', () => {
    expect(telnetUnknownCommandReply('foo')).toBe("unknown command: foo.  Try `help'.");
    expect(telnetUnknownCommandReply('')).toBe("unknown command: .  Try `help'.");
  });

  it('help lists commands in registration order, each followed by a space', () => {
    expect(telnetHelpReply()).toBe(
      'available commands: stats dropcaches version exit help put rollup histogram diediedie ',
    );
    expect(telnetHelpReply(['put', 'version'])).toBe('available commands: put version ');
  });

  it('version', () => {
    expect(
      telnetVersionReply({
        version: '2.4.1',
        shortRevision: 'abc1234',
        date: '2019/04/09 12:00:00 +0000',
        user: 'otsdb',
        host: 'build',
        repo: '/src',
      }),
    ).toBe(
      'net.opentsdb.tools 2.4.1 built at revision abc1234 (MINT)\nBuilt on 2019/04/09 12:00:00 +0000 by otsdb@build:/src',
    );
    expect(telnetVersionReply({ version: '1.0.0', packageName: 'otsdb.proxy', repoStatus: 'MODIFIED' })).toBe(
      'otsdb.proxy 1.0.0 built at revision unknown (MODIFIED)\nBuilt on unknown by unknown@unknown:unknown',
    );
  });

  it('stats, dropcaches, diediedie', () => {
    expect(
      telnetStatsReply([
        { metric: 'tsd.rpc.received', timestamp: 1356998400, value: 42, tags: { type: 'put', host: 'a' } },
        { metric: 'tsd.connectionmgr.connections', timestamp: 1356998400, value: 3, tags: { host: 'a' } },
      ]),
    ).toBe(
      'tsd.rpc.received 1356998400 42 host=a type=put\ntsd.connectionmgr.connections 1356998400 3 host=a',
    );
    expect(TELNET_DROPCACHES_REPLY).toBe('Caches dropped.');
    expect(TELNET_DIEDIEDIE_REPLY).toBe('Cleaning up and exiting now.');
  });
});
