'use client';

import { createContext, type ReactNode, useContext, useState } from 'react';
import { MapClient } from './api';
import type { MapSettings } from './types';

interface MapContextValue {
  settings: MapSettings;
  client: MapClient;
}

const MapContext = createContext<MapContextValue | null>(null);

/**
 * Gives the map components the gateway, the language and the base map. Wrap the page's client
 * part in it with `settings={mapSettings(lang)}` (from `components/map/server`, a server-only call).
 */
export function MapProvider({ settings, children }: { settings: MapSettings; children: ReactNode }) {
  const [client] = useState(() => new MapClient(settings.gatewayUrl));
  return <MapContext.Provider value={{ settings, client }}>{children}</MapContext.Provider>;
}

function useMapContext(): MapContextValue {
  const v = useContext(MapContext);
  if (!v) throw new Error('map components must be inside <MapProvider settings={mapSettings(lang)}>');
  return v;
}

export function useMapSettings(): MapSettings {
  return useMapContext().settings;
}

/** The gateway client of the page's {@link MapProvider}. */
export function useMapClient(): MapClient {
  return useMapContext().client;
}
