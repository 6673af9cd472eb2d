import { SESSION_COOKIE, type SessionInfo } from '@wall/protocol';
import { GatewayClient } from './client';
import { isGatewayError } from './errors';

/**
 * For server components: a gateway client that presents the browser's session cookie (the cookie
 * is host-scoped, so the web server receives it too).
 */
export function serverGateway(gatewayUrl: string, sessionId: string | undefined): GatewayClient {
  return new GatewayClient(gatewayUrl, {
    headers: sessionId ? { cookie: `${SESSION_COOKIE}=${encodeURIComponent(sessionId)}` } : {},
    timeoutMs: 5000,
  });
}

/** The session behind the cookie, or null when there is none (signed out, expired, revoked). */
export async function loadSession(gateway: GatewayClient): Promise<SessionInfo | null> {
  try {
    return await gateway.me();
  } catch (err) {
    if (isGatewayError(err) && (err.code === 'unauthenticated' || err.status === 401)) return null;
    throw err;
  }
}
