import { type KeyObject, randomBytes } from 'node:crypto';
import type { StreamTokenClaims } from '@wall/protocol';
import { encodeStreamToken } from '@wall/stream-token';

/**
 * Test support: signs a stream token with defaults for `iat`, `exp` and `jti`, and no checks (tests
 * make expired, over-long and wrong-profile tokens on purpose). The format is `@wall/stream-token`'s;
 * the gateway is the only issuer in production.
 */
export function signStreamToken(
  claims: Omit<StreamTokenClaims, 'iat' | 'exp' | 'jti'> &
    Partial<Pick<StreamTokenClaims, 'iat' | 'exp' | 'jti'>>,
  privateKey: KeyObject,
  lifetimeS = 60,
): string {
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  return encodeStreamToken(
    {
      ...claims,
      iat,
      exp: claims.exp ?? iat + lifetimeS,
      jti: claims.jti ?? randomBytes(12).toString('base64url'),
    },
    privateKey,
  );
}
