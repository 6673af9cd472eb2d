import 'server-only';
import { SESSION_COOKIE, type SessionInfo } from '@wall/protocol';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { webConfig } from '../../config';
import { type GatewayClient, loadSession, serverGateway } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';

export interface PageSession {
  session: SessionInfo;
  /** The gateway as this server reaches it, presenting the browser's session cookie. */
  gateway: GatewayClient;
  /** The gateway as the browser reaches it. */
  publicGatewayUrl: string;
}

/** The signed-in user of this request; without one, the login page. */
export async function requireSession(lang: Lang): Promise<PageSession> {
  const config = webConfig();
  const sid = (await cookies()).get(SESSION_COOKIE)?.value;
  const gateway = serverGateway(config.GATEWAY_URL, sid);
  const session = sid ? await loadSession(gateway) : null;
  if (!session) redirect(lang === 'en' ? '/login?lang=en' : '/login');
  return { session, gateway, publicGatewayUrl: config.GATEWAY_PUBLIC_URL };
}
