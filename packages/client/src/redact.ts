/**
 * Credentials never reach a log line. These helpers scrub the places they could appear: URLs
 * with user info, telnet lines with the gateway's `password=` tag, and any text that echoes a
 * known secret (a TSD error reply quoting a tag value, for instance).
 */
export const REDACTED = '***';

/** `https://user:secret@host/path?token=x` -> `https://user:***@host/path?token=***`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url, []);
  }
  if (parsed.password !== '') parsed.password = REDACTED;
  for (const key of [...parsed.searchParams.keys()]) {
    if (/token|key|secret|pass|auth/i.test(key)) parsed.searchParams.set(key, REDACTED);
  }
  return parsed.toString();
}

/**
 * Replaces every occurrence of the given secrets, then any `password=`/`token=` style pair and
 * URL user info still left.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(/\b(password|passwd|token|secret)=[^\s,;&"'}]*/gi, `$1=${REDACTED}`);
  out = out.replace(/(\/\/[^/\s:@]*):[^@\s/]*@/g, `$1:${REDACTED}@`);
  return out;
}
