import type { DataPoint } from './data-point.js';
import { formatCollectorLine } from './format.js';

/** Commands a read-write TSD (2.4) answers on its telnet port, in the order it registers them. */
export const TELNET_COMMANDS = [
  'stats',
  'dropcaches',
  'version',
  'exit',
  'help',
  'put',
  'rollup',
  'histogram',
  'diediedie',
] as const;

export type TelnetCommandName = (typeof TELNET_COMMANDS)[number];

export type TelnetCommand =
  | { name: TelnetCommandName }
  /** A first word OpenTSDB does not know (commands are case-sensitive: `PUT` is unknown). */
  | { name: 'unknown'; word: string }
  /** An empty line. A TSD answers it like an unknown command with an empty word. */
  | { name: 'empty' };

const KNOWN: ReadonlySet<string> = new Set<string>(TELNET_COMMANDS);

/**
 * Recognises a telnet line's command the way OpenTSDB's `RpcHandler` does: the text before the
 * first space, matched exactly. Only the first word is looked at, so this is cheap enough to call
 * on every line before `parsePutLine`. A trailing `\r` or `\n` is ignored.
 */
export function parseTelnetCommand(line: string): TelnetCommand {
  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === 10) end--;
  if (end > 0 && line.charCodeAt(end - 1) === 13) end--;
  if (end === 0) return { name: 'empty' };
  // The hot case first: a put line.
  if (end > 3 && line.charCodeAt(3) === 32 && line.startsWith('put')) return { name: 'put' };
  let space = line.indexOf(' ');
  if (space < 0 || space > end) space = end;
  const word = line.slice(0, space);
  if (KNOWN.has(word)) return { name: word as TelnetCommandName };
  return { name: 'unknown', word };
}

/** A TSD's reply to an unknown command (`RpcHandler.Unknown`), without the trailing newline. */
export function telnetUnknownCommandReply(word: string): string {
  return 'unknown command: ' + word + ".  Try `help'.";
}

/**
 * A TSD's reply to `help`, without the trailing newline: `available commands: ` and each command
 * followed by a space (that trailing space is OpenTSDB's). Pass the commands this server really
 * serves; the default is a read-write 2.4 TSD's list.
 */
export function telnetHelpReply(commands: readonly string[] = TELNET_COMMANDS): string {
  let out = 'available commands: ';
  for (const c of commands) out += c + ' ';
  return out;
}

export interface VersionInfo {
  /** e.g. `2.4.1`. */
  version: string;
  /** Short git revision; default `unknown`. */
  shortRevision?: string;
  /** Default `MINT`. */
  repoStatus?: 'MINT' | 'MODIFIED' | 'UNKNOWN';
  /** Build date as OpenTSDB prints it (`2019/04/09 12:00:00 +0000`); default `unknown`. */
  date?: string;
  user?: string;
  host?: string;
  repo?: string;
  /** Default `net.opentsdb.tools`, the package OpenTSDB's build data lives in. */
  packageName?: string;
}

/**
 * A TSD's reply to `version` (`BuildData.revisionString()` and `buildString()`), two lines joined
 * by `\n`, without the final newline:
 * `net.opentsdb.tools 2.4.1 built at revision abc1234 (MINT)` and `Built on <date> by <user>@<host>:<repo>`.
 */
export function telnetVersionReply(info: VersionInfo): string {
  const pkg = info.packageName ?? 'net.opentsdb.tools';
  const revision = info.shortRevision ?? 'unknown';
  const status = info.repoStatus ?? 'MINT';
  return (
    pkg +
    ' ' +
    info.version +
    ' built at revision ' +
    revision +
    ' (' +
    status +
    ')\nBuilt on ' +
    (info.date ?? 'unknown') +
    ' by ' +
    (info.user ?? 'unknown') +
    '@' +
    (info.host ?? 'unknown') +
    ':' +
    (info.repo ?? 'unknown')
  );
}

/**
 * A TSD's reply to `stats`: one `<metric> <timestamp> <value> <tags>` line per statistic
 * (OpenTSDB prefixes its own with `tsd.`), joined by `\n`, without the final newline.
 */
export function telnetStatsReply(points: readonly DataPoint[]): string {
  return points.map(formatCollectorLine).join('\n');
}

/** A TSD's reply to `dropcaches`, without the trailing newline. */
export const TELNET_DROPCACHES_REPLY = 'Caches dropped.';
/** What a TSD writes before shutting down on `diediedie`, without the trailing newline. */
export const TELNET_DIEDIEDIE_REPLY = 'Cleaning up and exiting now.';
