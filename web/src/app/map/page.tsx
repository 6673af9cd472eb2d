import { type Me, SESSION_COOKIE, sessionInfoSchema } from '@wall/protocol';
import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { mayReadReviews } from '../../components/emergency';
import { MapProvider } from '../../components/map';
import { mapSettings } from '../../components/map/server';
import { webConfig } from '../../config';
import { langOf } from '../../lib/i18n';
import { MapView } from './map-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: '视频地图 · Camera map',
  robots: { index: false, follow: false },
};

/** The signed-in user, or undefined when the gateway says there is no session (401). */
async function currentUser(): Promise<Me | undefined> {
  const sid = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!sid) return undefined;
  const res = await fetch(`${webConfig().GATEWAY_URL}/api/me`, {
    headers: { cookie: `${SESSION_COOKIE}=${sid}` },
    cache: 'no-store',
    signal: AbortSignal.timeout(5000),
  });
  if (res.status === 401) return undefined;
  if (!res.ok) throw new Error(`gateway answered ${res.status} to GET /api/me`);
  const body = sessionInfoSchema.safeParse(await res.json());
  if (!body.success) throw new Error('unexpected answer to GET /api/me');
  return body.data.user;
}

export default async function MapPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const lang = langOf((await searchParams).lang);
  const user = await currentUser();
  if (!user) redirect(lang === 'en' ? '/login?lang=en' : '/login');
  return (
    <MapProvider settings={mapSettings(lang)}>
      <MapView
        user={{
          id: user.id,
          displayName: user.displayName,
          orgName: user.orgName,
          mayReadReviews: mayReadReviews(user),
        }}
      />
    </MapProvider>
  );
}
