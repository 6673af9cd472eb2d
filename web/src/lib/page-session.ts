import 'server-only';
import { SESSION_COOKIE, type SessionInfo } from '@wall/protocol';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { webConfig } from '../config';
import {
  errorBodyOfUnknown,
  type GatewayClient,
  isGatewayError,
  loadSession,
  serverGateway,
} from './gateway';
import type { Lang } from './i18n';

export interface PageSession {
  session: SessionInfo;
  /** The gateway as this server reaches it, presenting the browser's session cookie. */
  gateway: GatewayClient;
  /** The gateway as the browser reaches it. */
  publicGatewayUrl: string;
}

function toLogin(lang: Lang): never {
  redirect(lang === 'en' ? '/login?lang=en' : '/login');
}

/** The signed-in user of this request; without one, the login page. */
export async function requireSession(lang: Lang): Promise<PageSession> {
  const config = webConfig();
  const sid = (await cookies()).get(SESSION_COOKIE)?.value;
  const gateway = serverGateway(config.GATEWAY_URL, sid);
  const session = sid ? await loadSession(gateway) : null;
  if (!session) toLogin(lang);
  return { session, gateway, publicGatewayUrl: config.GATEWAY_PUBLIC_URL };
}

/**
 * Like {@link requireSession}, but a gateway that cannot be reached (or answers nonsense) is
 * returned as `{ unavailable: { code, message } }` for the page to say so, instead of an error page.
 */
export async function sessionOrUnavailable(
  lang: Lang,
): Promise<PageSession | { unavailable: { code: string; message: string } }> {
  try {
    return await requireSession(lang);
  } catch (err) {
    if (isGatewayError(err) && err.code.startsWith('client:'))
      return { unavailable: errorBodyOfUnknown(err) };
    throw err;
  }
}
