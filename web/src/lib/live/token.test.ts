import { describe, expect, it } from 'vitest';
import { peekStreamToken, tokenLooksExpired } from './token';

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const tokenOf = (claims: unknown) => `${b64url('{"alg":"EdDSA"}')}.${b64url(JSON.stringify(claims))}.sig`;

describe('peekStreamToken', () => {
  it('reads the claims without verifying the signature', () => {
    expect(peekStreamToken(tokenOf({ cam: 'cam01', prof: 'sub', aud: 'media-1', exp: 1700000000 }))).toEqual({
      cam: 'cam01',
      prof: 'sub',
      aud: 'media-1',
      exp: 1700000000,
    });
  });

  it('decodes UTF-8 claims (base64url without padding)', () => {
    expect(peekStreamToken(tokenOf({ cam: '天宁区模拟路口001' }))?.cam).toBe('天宁区模拟路口001');
  });

  it.each([
    ['no dot at all', 'not-a-token'],
    ['a payload that is not base64 JSON', 'a.%%%.c'],
    ['a payload that is JSON but not an object', `h.${b64url('42')}.s`],
    ['a null payload', `h.${b64url('null')}.s`],
  ])('answers undefined for %s', (_name, token) => {
    expect(peekStreamToken(token)).toBeUndefined();
  });

  it('drops claims of the wrong type', () => {
    expect(peekStreamToken(tokenOf({ cam: 7, prof: null, aud: ['x'], exp: '123' }))).toEqual({
      cam: undefined,
      prof: undefined,
      aud: undefined,
      exp: undefined,
    });
  });
});

describe('tokenLooksExpired', () => {
  const now = 1_700_000_000_000;
  it.each([
    // exp (s) relative to now, margin (s), expired?
    [60, 2, false],
    [3, 2, false],
    [2, 2, true],
    [0, 2, true],
    [-60, 2, true],
    [1, 0, false],
    [0, 0, true],
  ])('exp now%+ds with margin %ds → %s', (offsetS, marginS, expired) => {
    const token = tokenOf({ exp: now / 1000 + offsetS });
    expect(tokenLooksExpired(token, marginS, now)).toBe(expired);
  });

  it('a token without exp or unreadable never looks expired (the node decides)', () => {
    expect(tokenLooksExpired(tokenOf({ cam: 'c' }), 2, now)).toBe(false);
    expect(tokenLooksExpired('garbage', 2, now)).toBe(false);
  });
});
