import { describe, expect, it } from 'vitest';
import { firstIllegalChar, isLetterCodeUnit, validateStringMessage } from './charset.js';
import { resolveOptions } from './options.js';

const opts = resolveOptions(undefined);

describe('isLetterCodeUnit (Java Character.isLetter on one UTF-16 unit)', () => {
  // Expected values printed by Java 17.
  it.each([
    ['a', true],
    ['Z', true],
    ['0', false],
    ['é', true],
    ['Ж', true],
    ['中', true],
    ['ª', true],
    ['ǅ', true],
    ['ʰ', true],
    ['々', true],
    ['ー', true],
    ['©', false],
    ['\u00a0', false],
    ['٣', false],
    ['\ud83d', false],
    ['\ude00', false],
  ])('%j -> %s', (ch, letter) => {
    expect(isLetterCodeUnit(ch.charCodeAt(0))).toBe(letter);
  });
});

describe("validateStringMessage (OpenTSDB's Tags.validateString)", () => {
  it.each([
    ['sys.cpu-user_0/x', undefined],
    ['héllo', undefined],
    ['', 'Invalid metric name: empty string'],
    ['a b', 'Invalid metric name ("a b"): illegal character:  '],
    ['a:b', 'Invalid metric name ("a:b"): illegal character: :'],
    ['٣', 'Invalid metric name ("٣"): illegal character: ٣'],
    ['😀', 'Invalid metric name ("😀"): illegal character: \ud83d'],
  ])('%j', (s, message) => {
    expect(validateStringMessage('metric name', s, opts)).toBe(message);
  });

  it('null', () => {
    expect(validateStringMessage('tag value with key [k]', null, opts)).toBe(
      'Invalid tag value with key [k]: null',
    );
  });

  it('extra characters, ASCII or not', () => {
    const extra = resolveOptions({ extraChars: ':©' });
    expect(firstIllegalChar('a:b©', extra)).toBe(-1);
    expect(firstIllegalChar('a:b©', opts)).toBe(1);
  });
});
