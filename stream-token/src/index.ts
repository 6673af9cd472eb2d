/**
 * The stream token (R-ACC-5) — the one implementation of its format: a compact JWS (JWT) with the
 * header `{"alg":"EdDSA","typ":"JWT"}`, the claims (`StreamTokenClaims`, protocol) as JSON, both
 * base64url, signed with Ed25519 over `header.payload`. The gateway encodes (`encodeStreamToken`),
 * the media node verifies (`verifyStreamToken`). Node's crypto, synchronous: the media node checks
 * a token inside a socket.io handshake and an HTTP route without an await.
 */
import { type KeyObject, sign, verify } from 'node:crypto';
import {
  AppError,
  STREAM_TOKEN_MAX_LIFETIME_S,
  type StreamTokenClaims,
  streamTokenClaimsSchema,
} from '@wall/protocol';

/** The only header a stream token carries. */
export const STREAM_TOKEN_HEADER = { alg: 'EdDSA', typ: 'JWT' } as const;
const HEADER_PART = Buffer.from(JSON.stringify(STREAM_TOKEN_HEADER)).toString('base64url');
/** A token longer than this is refused before any decoding. */
export const STREAM_TOKEN_MAX_CHARS = 4096;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** Signs the claims as they are (no defaults, no checks: the issuer decides them) with an Ed25519 private key. */
export function encodeStreamToken(claims: StreamTokenClaims, privateKey: KeyObject): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${HEADER_PART}.${payload}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

export interface VerifyOptions {
  publicKey: KeyObject;
  /** The verifying node's id: the token's audience must be it. */
  nodeId: string;
  /** Seconds of clock difference tolerated between gateway and node (default 5). */
  clockSkewS?: number;
  /** Seconds since the epoch. */
  now?: () => number;
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies a stream token and returns its claims; throws AppError with a stable code:
 * token:missing, token:malformed, token:signature, token:expired, token:lifetime, token:node.
 */
export function verifyStreamToken(
  token: string | undefined | null,
  options: VerifyOptions,
): StreamTokenClaims {
  if (!token) throw new AppError('token:missing', 'a stream token is required');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p)) || token.length > STREAM_TOKEN_MAX_CHARS) {
    throw new AppError('token:malformed', 'the stream token is not a compact JWT');
  }
  const [h = '', p = '', s = ''] = parts;
  const header = decodeJson(h) as { alg?: unknown } | undefined;
  if (header?.alg !== STREAM_TOKEN_HEADER.alg)
    throw new AppError('token:malformed', 'the stream token must be EdDSA');
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
