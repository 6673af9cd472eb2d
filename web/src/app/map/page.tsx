import type { Metadata } from 'next';
import { mayReadReviews } from '../../components/emergency';
import { MapProvider } from '../../components/map';
import { mapSettings } from '../../components/map/server';
import { TopBar } from '../../components/shell';
import { langOf } from '../../lib/i18n';
import { LiveProvider } from '../../lib/live';
import { requireSession } from '../../lib/page-session';
import { RealtimeProvider } from '../../lib/realtime';
import { MapView } from './map-view';
import styles from './page.module.css';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: '视频地图 · Camera map',
  robots: { index: false, follow: false },
};

export default async function MapPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const lang = langOf((await searchParams).lang);
  const { session, publicGatewayUrl } = await requireSession(lang);
  const user = session.user;
  return (
    <div className={styles.page}>
      <TopBar user={user} lang={lang} path="/map" active="map" gatewayUrl={publicGatewayUrl} />
      <RealtimeProvider gatewayUrl={publicGatewayUrl}>
        <LiveProvider>
          <MapProvider settings={mapSettings(lang)}>
            <MapView mayReadReviews={mayReadReviews(user)} />
          </MapProvider>
        </LiveProvider>
      </RealtimeProvider>
    </div>
  );
}
