import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Catchpoint signs nothing, so the webhook's only credential is a shared secret in the URL
 * or a header. Candidates are compared in constant time against every configured secret
 * (several during a rotation): both sides are hashed first so neither the length nor the
 * position of the first differing byte shows in the timing.
 */
export class SecretMatcher {
  readonly #digests: Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('SecretMatcher needs at least one secret');
    this.#digests = secrets.map(digest);
  }

  matches(candidate: string | undefined): boolean {
    if (candidate === undefined || candidate === '') return false;
    const d = digest(candidate);
    let ok = false;
    // No early exit: every configured secret is compared, whichever one matches.
    for (const expected of this.#digests) {
      if (timingSafeEqual(d, expected)) ok = true;
    }
    return ok;
  }
}

function digest(s: string): Buffer {
  return hash('sha256', s, 'buffer');
}
