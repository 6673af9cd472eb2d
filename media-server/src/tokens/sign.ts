import { type KeyObject, randomBytes, sign } from 'node:crypto';
import type { StreamTokenClaims } from '@wall/protocol';

/**
 * Signs a stream token (EdDSA JWT). The gateway issues tokens; this signer serves the media node's
 * tests, benchmarks and the demo tools.
 */
export function signStreamToken(
  claims: Omit<StreamTokenClaims, 'iat' | 'exp' | 'jti'> &
    Partial<Pick<StreamTokenClaims, 'iat' | 'exp' | 'jti'>>,
  privateKey: KeyObject,
  lifetimeS = 60,
): string {
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  const body: StreamTokenClaims = {
    ...claims,
    iat,
    exp: claims.exp ?? iat + lifetimeS,
    jti: claims.jti ?? randomBytes(12).toString('base64url'),
  };
  const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(body)).toString('base64url');
  const s = sign(null, Buffer.from(`${h}.${p}`), privateKey).toString('base64url');
  return `${h}.${p}.${s}`;
}
