import { envVar } from '@wall/protocol';
import { z } from 'zod';

export const webEnvSchema = z.object({
  /** The gateway as the web server reaches it (server-side fetches). */
  GATEWAY_URL: envVar.url(['http', 'https']).default('http://127.0.0.1:4000'),
  /** The gateway as browsers reach it (login, API calls); must list this site in its WEB_ORIGINS. */
  GATEWAY_PUBLIC_URL: envVar.url(['http', 'https']).default('http://127.0.0.1:4000'),
  /**
   * Every media node as browsers reach it (its MEDIA_PUBLIC_URL's origin), comma-separated: the
   * pages' Content-Security-Policy lets them connect there (signalling) and load snapshots.
   */
  MEDIA_PUBLIC_ORIGINS: envVar.origins('http://127.0.0.1:4100'),
  /** A self-hosted MapLibre style for the map (default: the built-in offline district style). */
  MAP_STYLE_URL: envVar.url(['http', 'https']).optional(),
  /** Mapbox public access token (`pk.…`, sent to browsers); with MAPBOX_STYLE_URL (both or neither) the map uses mapbox-gl. */
  MAPBOX_TOKEN: z
    .string()
    .regex(/^pk\.[A-Za-z0-9._-]+$/, 'expected a Mapbox public token (pk.…)')
    .optional(),
  /** The Mapbox style (`mapbox://styles/<user>/<style>` or an https URL); needs MAPBOX_TOKEN. */
  MAPBOX_STYLE_URL: envVar.url(['mapbox', 'https']).optional(),
});
