import type * as maplibre from 'maplibre-gl';
import type { MapStyleSetting } from './types';

export type MapEngine = typeof maplibre;

/**
 * Where the MapLibre worker is served from: the package's own worker module, served by the web
 * app itself (`app/map/maplibre-gl-worker.mjs/route.ts`) — the bundle cannot locate it next to
 * itself, and nothing may come from a CDN.
 */
export const MAPLIBRE_WORKER_PATH = '/map/maplibre-gl-worker.mjs';

/**
 * Loads the map library the settings ask for: MapLibre by default (offline or a self-hosted style),
 * mapbox-gl only when a Mapbox token and style are configured (a separate chunk, never loaded
 * otherwise). Both are driven through MapLibre's API, which mapbox-gl shares for what the map uses.
 */
export async function loadMapEngine(style: MapStyleSetting): Promise<MapEngine> {
  if (style.kind === 'mapbox') {
    const [mod] = await Promise.all([import('mapbox-gl'), import('mapbox-gl/dist/mapbox-gl.css')]);
    const mapboxgl = (mod as unknown as { default?: unknown }).default ?? mod;
    (mapboxgl as { accessToken: string }).accessToken = style.token;
    return mapboxgl as unknown as MapEngine;
  }
  const lib = await import('maplibre-gl');
  lib.setWorkerUrl(new URL(`${MAPLIBRE_WORKER_PATH}?v=${lib.getVersion()}`, window.location.href).href);
  return lib;
}
