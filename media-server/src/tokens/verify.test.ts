import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signStreamToken } from '../../test/support/sign-token.ts';
import { AppError } from '../lib/app-error.ts';
import { requireCamera, requireScope, verifyStreamToken } from './verify.ts';

const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const NOW = 1_800_000_000;
const opts = { publicKey: keys.publicKey, nodeId: 'media-1', now: () => NOW };
const base = { sub: 'user-1', cam: 'cam-1', prof: 'sub' as const, aud: 'media-1', iat: NOW };

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof AppError ? err.code : `thrown:${String(err)}`;
  }
}

describe('stream tokens', () => {
  const good = signStreamToken(base, keys.privateKey);

  it('accepts a valid token and returns its claims', () => {
    const c = verifyStreamToken(good, opts);
    expect(c).toMatchObject({
      sub: 'user-1',
      cam: 'cam-1',
      prof: 'sub',
      aud: 'media-1',
      iat: NOW,
      exp: NOW + 60,
    });
  });

  const tamper = (t: string) => {
    const [h, p, s] = t.split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString());
    claims.cam = 'cam-2';
    return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  };

  it.each<[string, () => string | undefined, string]>([
    ['missing', () => undefined, 'token:missing'],
    ['empty', () => '', 'token:missing'],
    ['not a JWT', () => 'abc', 'token:malformed'],
    ['four parts', () => `${good}.x`, 'token:malformed'],
    ['non-base64url characters', () => good.replace('.', '.*'), 'token:malformed'],
    [
      'HS256 header',
      () => {
        const [, p, s] = good.split('.');
        return `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${p}.${s}`;
      },
      'token:malformed',
    ],
    ['tampered claims', () => tamper(good), 'token:signature'],
    ['signed with another key', () => signStreamToken(base, other.privateKey), 'token:signature'],
    ['truncated signature', () => good.slice(0, -4), 'token:signature'],
    [
      'expired',
      () => signStreamToken({ ...base, iat: NOW - 120, exp: NOW - 60 }, keys.privateKey),
      'token:expired',
    ],
    [
      'expired within skew is still fine',
      () => signStreamToken({ ...base, iat: NOW - 50, exp: NOW - 2 }, keys.privateKey),
      'ok',
    ],
    [
      'lifetime over 60 s',
      () => signStreamToken({ ...base, exp: NOW + 61 }, keys.privateKey),
      'token:lifetime',
    ],
    [
      'issued in the future',
      () => signStreamToken({ ...base, iat: NOW + 30 }, keys.privateKey),
      'token:lifetime',
    ],
    ['another node', () => signStreamToken({ ...base, aud: 'media-2' }, keys.privateKey), 'token:node'],
    [
      'bad profile',
      () => signStreamToken({ ...base, prof: 'hd' as 'sub' }, keys.privateKey),
      'token:malformed',
    ],
  ])('%s → %s', (_name, make, code) => {
    expect(codeOf(() => verifyStreamToken(make(), opts))).toBe(code);
  });

  it('refuses a token for another camera', () => {
    const c = verifyStreamToken(good, opts);
    expect(codeOf(() => requireCamera(c, 'cam-1'))).toBe('ok');
    expect(codeOf(() => requireCamera(c, 'cam-9'))).toBe('token:camera');
  });

  it.each<[string, [number, number] | undefined, 'live' | 'playback', string]>([
    ['a live token at a live route', undefined, 'live', 'ok'],
    ['a playback token at a live route', [1, 2], 'live', 'token:scope'],
    ['a playback token at a recording route', [1, 2], 'playback', 'ok'],
    ['a live token at a recording route', undefined, 'playback', 'token:scope'],
  ])('%s → %s', (_name, rng, scope, code) => {
    const c = verifyStreamToken(signStreamToken({ ...base, ...(rng ? { rng } : {}) }, keys.privateKey), opts);
    expect(codeOf(() => (scope === 'live' ? requireScope(c, 'live') : requireScope(c, 'playback')))).toBe(
      code,
    );
  });
});
