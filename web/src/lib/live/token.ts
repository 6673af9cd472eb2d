/**
 * Reads the claims of a stream token WITHOUT verifying it: for display (which camera a tile is
 * for) and to notice an expired token before sending it. Only the media node decides validity.
 */
export interface UnverifiedStreamClaims {
  cam?: string;
  prof?: string;
  aud?: string;
  exp?: number;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function peekStreamToken(token: string): UnverifiedStreamClaims | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const raw: unknown = JSON.parse(base64UrlDecode(payload));
    if (typeof raw !== 'object' || raw === null) return undefined;
    const { cam, prof, aud, exp } = raw as Record<string, unknown>;
    return {
      cam: typeof cam === 'string' ? cam : undefined,
      prof: typeof prof === 'string' ? prof : undefined,
      aud: typeof aud === 'string' ? aud : undefined,
      exp: typeof exp === 'number' ? exp : undefined,
    };
  } catch {
    return undefined;
  }
}

/** True when the token's `exp` has passed (with a little margin for clock skew and transit). */
export function tokenLooksExpired(token: string, marginS = 2, nowMs = Date.now()): boolean {
  const exp = peekStreamToken(token)?.exp;
  return exp !== undefined && exp * 1000 <= nowMs + marginS * 1000;
}
