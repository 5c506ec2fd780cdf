/**
 * Put lines the way `Client.writeLines` and the proxy's line batches carry them: one buffer with
 * a newline after each line, and the end offset of each line in it.
 */
export function encodedLines(lines: readonly string[]): { data: Buffer; ends: Uint32Array; count: number } {
  const data = Buffer.from(lines.map((l) => l + '\n').join(''));
  const ends = new Uint32Array(lines.length);
  let at = 0;
  lines.forEach((l, i) => {
    at += Buffer.byteLength(l) + 1;
    ends[i] = at;
  });
  return { data, ends, count: lines.length };
}
