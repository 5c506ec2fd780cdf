/**
 * Strict base64 decoding. Buffer.from(s, 'base64') silently skips invalid characters, which
 * would let a corrupted stored hash decode to something; stored hashes are checked first.
 */
const STANDARD = /^[A-Za-z0-9+/]*$/;
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export type Padding = 'required' | 'forbidden' | 'optional';

/** Standard alphabet; returns undefined when `text` is not canonical base64 under the padding rule. */
export function decodeBase64(text: string, padding: Padding): Buffer | undefined {
  const body = text.replace(/={1,2}$/, '');
  const padded = body.length !== text.length;
  if (!STANDARD.test(body) || body.length % 4 === 1) return undefined;
  if (padding === 'required' && text.length % 4 !== 0) return undefined;
  if (padding === 'forbidden' && padded) return undefined;
  if (padded && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(body, 'base64');
  // Reject non-canonical trailing bits so that one stored value has exactly one meaning.
  if (bytes.toString('base64').replace(/=+$/, '') !== body) return undefined;
  return bytes;
}

export function encodeBase64Unpadded(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** bcrypt's own base64 (alphabet `./A-Za-z0-9`, no padding): 22 characters carry the 16-byte salt. */
export function decodeBcryptBase64(text: string, byteLength: number): Uint8Array | undefined {
  const out = new Uint8Array(byteLength);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of text) {
    const digit = BCRYPT_ALPHABET.indexOf(char);
    if (digit === -1) return undefined;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (index < byteLength) out[index] = (value >> bits) & 0xff;
      index++;
      value &= (1 << bits) - 1;
    }
  }
  return index >= byteLength ? out : undefined;
}
