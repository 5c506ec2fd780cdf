import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

// The biggest /proc file read whole is /proc/interrupts on machines with hundreds of CPUs (a few
// MiB); anything larger is not a file these collectors know, so it is not read at all.
const MAX_FILE_BYTES = 32 * 1024 * 1024;
// A line longer than this in a streamed file is not one the kernel writes for these files.
const MAX_LINE_CHARS = 64 * 1024;

/**
 * The file's text, or undefined when it is missing or unreadable: a kernel without NUMA, NFS or
 * IPv6 simply has no such file, and that means "no points", not an error.
 */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    const buffer = await readFile(path);
    return buffer.length > MAX_FILE_BYTES ? undefined : buffer.toString('utf8');
  } catch {
    return undefined;
  }
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

/** The directory's entries sorted by name (output order must not depend on the filesystem), or undefined. */
export async function listOptional(path: string): Promise<DirEntry[] | undefined> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries
      .map((e) => ({ name: e.name, isDirectory: e.isDirectory() || e.isSymbolicLink() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return undefined;
  }
}

/**
 * Calls `onLine` for each line without holding the whole file (/proc/net/tcp has one line per
 * socket: tens of MiB on a busy server); `onLine` returning false stops the reading. Resolves
 * false when the file could not be read.
 */
export async function forEachLineOptional(
  path: string,
  onLine: (line: string) => boolean | undefined,
): Promise<boolean> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  const opened = new Promise<boolean>((resolve) => {
    stream.once('open', () => resolve(true));
    stream.once('error', () => resolve(false));
  });
  if (!(await opened)) {
    stream.destroy();
    return false;
  }
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      if (line.length <= MAX_LINE_CHARS && onLine(line) === false) break;
    }
    return true;
  } catch {
    return false;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Splits on runs of blanks, dropping the empty fields at either end. */
export function fields(line: string): string[] {
  const trimmed = line.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}
