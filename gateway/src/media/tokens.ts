import { createHash, createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';
import { STREAM_TOKEN_MAX_LIFETIME_S, type StreamTokenClaims } from '@wall/protocol';
import { encodeStreamToken } from '@wall/stream-token';

/** The stream-token signing key from its JWK parts (base64url `x` and `d`). */
export function streamTokenKey(x: string, d: string): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d }, format: 'jwk' });
}

/**
 * A session as stream tokens and revocations name it: a one-way handle of the session id, so the
 * token (readable by the page) never carries the session cookie's value.
 */
export function sessionHandle(sessionId: string): string {
  return createHash('sha256').update(`wall-session:${sessionId}`).digest('base64url').slice(0, 32);
}

/**
 * Issues a stream token (`@wall/stream-token`'s format) for one user, camera, profile and node; at
 * most 60 s. With `range` it is a playback token (live routes refuse it, recording routes need it).
 */
export function issueStreamToken(
  key: KeyObject,
  c: {
    userId: string;
    cameraId: string;
    profile: 'main' | 'sub';
    nodeId: string;
    emergency: boolean;
    /** The incident whose grant allowed it (emergency only). */
    incidentId?: string | undefined;
    sessionHandle?: string | undefined;
    /** Playback tokens: the recorded range `[fromMs, toMs)` (the `rng` claim). */
    range?: [number, number] | undefined;
  },
  lifetimeS = STREAM_TOKEN_MAX_LIFETIME_S,
  nowS = Math.floor(Date.now() / 1000),
): { token: string; claims: StreamTokenClaims } {
  const claims: StreamTokenClaims = {
    sub: c.userId,
    cam: c.cameraId,
    prof: c.profile,
    aud: c.nodeId,
    iat: nowS,
    exp: nowS + Math.min(lifetimeS, STREAM_TOKEN_MAX_LIFETIME_S),
    jti: randomBytes(12).toString('base64url'),
    ...(c.emergency ? { emg: true } : {}),
    ...(c.emergency && c.incidentId ? { inc: c.incidentId } : {}),
    ...(c.sessionHandle ? { sid: c.sessionHandle } : {}),
    ...(c.range ? { rng: c.range } : {}),
  };
  return { token: encodeStreamToken(claims, key), claims };
}
