import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fields, forEachLineOptional, listOptional, readOptional } from './read-proc.js';

describe('reading kernel files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otsdb-collectors-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing file, a directory or an unreadable path read as undefined, never an exception', async () => {
    expect(await readOptional(join(dir, 'nope'))).toBeUndefined();
    expect(await readOptional(dir)).toBeUndefined();
    expect(await readOptional(join(dir, 'nope', 'deeper'))).toBeUndefined();
    expect(await listOptional(join(dir, 'nope'))).toBeUndefined();
  });

  it('lists a directory sorted by name', async () => {
    for (const name of ['node10', 'node2', 'a']) await writeFile(join(dir, name), '');
    expect((await listOptional(dir))?.map((e) => e.name)).toEqual(['a', 'node10', 'node2']);
  });

  it('streams lines, stops when asked, and reports a file it cannot read', async () => {
    const path = join(dir, 'tcp');
    await writeFile(path, 'header\r\none\ntwo\nthree');
    const seen: string[] = [];
    expect(
      await forEachLineOptional(path, (l) => {
        seen.push(l);
        return true;
      }),
    ).toBe(true);
    expect(seen).toEqual(['header', 'one', 'two', 'three']);
    const firstTwo: string[] = [];
    expect(await forEachLineOptional(path, (l) => firstTwo.push(l) < 2)).toBe(true);
    expect(firstTwo).toEqual(['header', 'one']);
    expect(await forEachLineOptional(join(dir, 'nope'), () => true)).toBe(false);
    expect(await forEachLineOptional(dir, () => true)).toBe(false);
  });

  it.each([
    ['  a  b\tc ', ['a', 'b', 'c']],
    ['', []],
    ['   ', []],
  ])('fields(%j)', (line, expected) => {
    expect(fields(line)).toEqual(expected);
  });
});
