import { SESSION_COOKIE } from '@wall/protocol';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { webConfig } from '../config';
import { loadSession, serverGateway } from '../lib/gateway';

export const dynamic = 'force-dynamic';

/** Signed-in users go to their walls, everyone else to the login page. */
export default async function Home() {
  const sid = (await cookies()).get(SESSION_COOKIE)?.value;
  const session = sid
    ? await loadSession(serverGateway(webConfig().GATEWAY_URL, sid)).catch(() => null)
    : null;
  redirect(session ? '/walls' : '/login');
}
