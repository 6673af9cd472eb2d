import { generateKeyPairSync } from 'node:crypto';
import type { StreamTokenClaims } from '@wall/protocol';
import { describe, expect, it } from 'vitest';
import { encodeStreamToken, STREAM_TOKEN_HEADER, verifyStreamToken } from './index.ts';

const keys = generateKeyPairSync('ed25519');
const NOW = 1_800_000_000;
const claims: StreamTokenClaims = {
  sub: 'user-1',
  cam: 'cam-1',
  prof: 'main',
  aud: 'media-1',
  iat: NOW,
  exp: NOW + 60,
  jti: 'jti-0001',
  emg: true,
  inc: 'inc-1',
  sid: 'session-handle',
};

describe('stream token format', () => {
  it('is a compact JWS: fixed header, the claims as JSON, Ed25519 over header.payload', () => {
    const token = encodeStreamToken(claims, keys.privateKey);
    const [h, p, s] = token.split('.');
    expect(JSON.parse(Buffer.from(h ?? '', 'base64url').toString())).toEqual(STREAM_TOKEN_HEADER);
    expect(Buffer.from(h ?? '', 'base64url').toString()).toBe('{"alg":"EdDSA","typ":"JWT"}');
    expect(JSON.parse(Buffer.from(p ?? '', 'base64url').toString())).toEqual(claims);
    expect(Buffer.from(s ?? '', 'base64url')).toHaveLength(64);
  });

  it('round-trips through the verifier with every claim', () => {
    const token = encodeStreamToken(claims, keys.privateKey);
    expect(
      verifyStreamToken(token, { publicKey: keys.publicKey, nodeId: 'media-1', now: () => NOW }),
    ).toEqual(claims);
  });

  it('refuses a token over the length limit before decoding it', () => {
    const token = encodeStreamToken({ ...claims, sub: 'x'.repeat(4000) }, keys.privateKey);
    expect(() =>
      verifyStreamToken(token, { publicKey: keys.publicKey, nodeId: 'media-1', now: () => NOW }),
    ).toThrow(expect.objectContaining({ code: 'token:malformed' }));
  });
});
