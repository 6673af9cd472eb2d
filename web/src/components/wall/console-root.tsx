'use client';

import type { SessionInfo } from '@wall/protocol';
import type { Lang } from '../../lib/i18n';
import { MapProvider, type MapSettings } from '../map';
import { WallConsole } from './console';
import { WallPageProviders } from './providers';

/** The console page's client part: the wall page providers, the map's provider and the console. */
export function WallConsoleRoot({
  wallId,
  lang,
  gatewayUrl,
  session,
  mapSettings,
}: {
  wallId: string;
  lang: Lang;
  gatewayUrl: string;
  session: SessionInfo;
  mapSettings: MapSettings;
}) {
  return (
    <WallPageProviders gatewayUrl={gatewayUrl} session={session}>
      <MapProvider settings={mapSettings}>
        <WallConsole wallId={wallId} lang={lang} />
      </MapProvider>
    </WallPageProviders>
  );
}
