import 'server-only';
import { webConfig } from '../../config';
import type { Lang } from '../../lib/i18n';
import type { MapSettings, MapStyleSetting } from './types';

/** The map settings for {@link MapProvider}, from the web server's configuration (server only). */
export function mapSettings(lang: Lang): MapSettings {
  const config = webConfig();
  if ((config.MAPBOX_TOKEN === undefined) !== (config.MAPBOX_STYLE_URL === undefined)) {
    throw new Error('web: invalid configuration: MAPBOX_TOKEN and MAPBOX_STYLE_URL go together');
  }
  let style: MapStyleSetting = { kind: 'offline' };
  if (config.MAPBOX_TOKEN && config.MAPBOX_STYLE_URL) {
    style = { kind: 'mapbox', url: config.MAPBOX_STYLE_URL, token: config.MAPBOX_TOKEN };
  } else if (config.MAP_STYLE_URL) {
    style = { kind: 'url', url: config.MAP_STYLE_URL };
  }
  return { gatewayUrl: config.GATEWAY_PUBLIC_URL, lang, style };
}
