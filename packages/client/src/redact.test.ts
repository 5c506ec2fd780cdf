import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from './redact.js';

describe('redaction', () => {
  it('hides URL passwords and token-like query values', () => {
    const out = redactUrl('https://bob:hunter2@tsd:4242/api/put?token=abc&details');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('abc');
    expect(out).toContain('bob');
    expect(out).toContain('details');
  });

  it('hides known secrets and password= pairs in free text', () => {
    const line =
      'put: illegal argument: bad tag password=s3cret and again s3cret, token=xyz; https://u:pw@h/';
    const out = redactText(line, ['s3cret']);
    expect(out).not.toMatch(/s3cret|xyz|:pw@/);
    expect(out).toContain('password=***');
  });
});
