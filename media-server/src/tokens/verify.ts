import { type KeyObject, verify } from 'node:crypto';
import { STREAM_TOKEN_MAX_LIFETIME_S, type StreamTokenClaims, streamTokenClaimsSchema } from '@wall/protocol';
import { AppError } from '../lib/app-error.ts';

export interface VerifyOptions {
  publicKey: KeyObject;
  /** This node's id: the token's audience must be it. */
  nodeId: string;
  /** Seconds of clock difference tolerated between gateway and node. */
  clockSkewS?: number;
  /** Seconds since the epoch. */
  now?: () => number;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies a stream token (EdDSA JWT) and returns its claims; throws AppError with a stable code:
 * token:missing, token:malformed, token:signature, token:expired, token:lifetime, token:node.
 */
export function verifyStreamToken(
  token: string | undefined | null,
  options: VerifyOptions,
): StreamTokenClaims {
  if (!token) throw new AppError('token:missing', 'a stream token is required');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p)) || token.length > 4096) {
    throw new AppError('token:malformed', 'the stream token is not a compact JWT');
  }
  const [h = '', p = '', s = ''] = parts;
  const header = decodeJson(h) as { alg?: unknown; typ?: unknown } | undefined;
  if (header?.alg !== 'EdDSA') throw new AppError('token:malformed', 'the stream token must be EdDSA');
  const signature = Buffer.from(s, 'base64url');
  if (signature.length !== 64 || !verify(null, Buffer.from(`${h}.${p}`), options.publicKey, signature)) {
    throw new AppError('token:signature', 'the stream token signature is not valid');
  }
  const claims = streamTokenClaimsSchema.safeParse(decodeJson(p));
  if (!claims.success) throw new AppError('token:malformed', 'the stream token claims are not valid');
  const now = options.now?.() ?? Math.floor(Date.now() / 1000);
  const skew = options.clockSkewS ?? 5;
  const c = claims.data;
  if (c.exp <= now - skew) throw new AppError('token:expired', 'the stream token has expired');
  if (c.exp - c.iat > STREAM_TOKEN_MAX_LIFETIME_S || c.iat > now + skew) {
    throw new AppError(
      'token:lifetime',
      `stream tokens live at most ${STREAM_TOKEN_MAX_LIFETIME_S} s from issue`,
    );
  }
  if (c.aud !== options.nodeId)
    throw new AppError('token:node', 'the stream token is for another media node');
  return c;
}

/** Refuses a token that names another camera than the one asked for. */
export function requireCamera(claims: StreamTokenClaims, cameraId: string): void {
  if (claims.cam !== cameraId) throw new AppError('token:camera', 'the stream token is for another camera');
}
