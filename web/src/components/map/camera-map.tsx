'use client';

import 'maplibre-gl/dist/maplibre-gl.css';
import type { Incident, StreamState } from '@wall/protocol';
import type { GeoJSONSource, Map as MapLibreMap, MapMouseEvent, Popup } from 'maplibre-gl';
import { type JSX, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { findCamera } from './camera';
import { CameraFilterPanel, MapLegend } from './camera-filters';
import { CameraPreview } from './camera-preview';
import { useMapClient, useMapSettings } from './context';
import { loadMapEngine, type MapEngine } from './engine';
import { CameraFeatureBuilder } from './feature-builder';
import { filterMasks, incidentCentres, incidentFeatures } from './features';
import {
  addOverlayLayers,
  CAMERA_SOURCE,
  CLUSTER_MAX_ZOOM,
  INCIDENT_CENTRE_SOURCE,
  INCIDENT_SOURCE,
  LAYER,
  selectedFilter,
} from './layers';
import styles from './map.module.css';
import { mapMessages } from './strings';
import { cityBounds, offlineStyle } from './style';
import {
  type CameraFilters,
  type CameraMapData,
  type MapStatus,
  type MapStyleSetting,
  NO_FILTERS,
} from './types';

export interface CameraMapProps {
  /** Cameras to draw (from useCameraMapData()); filters apply on top. */
  data: CameraMapData | undefined;
  incidents?: Incident[];
  /** Live stream state per camera id (from realtime camera:status), for colour by status. */
  statuses?: Record<string, StreamState>;
  selectedCameraId?: string | null;
  /** Called when the user asks to put the camera on the wall ("send to wall" in the preview). */
  onSendToWall?: (cameraId: string) => void;
  /** When set, the next click on the map picks a point (for "pull nearest") instead of a camera. */
  pickPoint?: ((lon: number, lat: number) => void) | null;
  className?: string;
  /** Show the filter panel (district, category, grade, status). Default true. */
  showFilters?: boolean;
  /** Called when the selection changes by a click on the map or the preview's close. */
  onSelectCamera?: (cameraId: string | null) => void;
  /** Called after each move with the single cameras in view (at most 256, e.g. for `camera:watch`). */
  onVisibleCamerasChange?: (cameraIds: string[]) => void;
}

/** Most cameras reported by `onVisibleCamerasChange` (the gateway's per-socket watch limit). */
const MAX_VISIBLE = 256;

/**
 * The camera map: MapLibre (or mapbox-gl when configured) with the offline district base map,
 * every camera as ONE clustered GeoJSON source (WebGL circles, no DOM markers), incidents as
 * circles of their radius, filters, and a preview popup for the selected camera.
 *
 * Instrumentation (production): `performance.mark('map:cameras-rendered')` and
 * `data-ready="true"` on the container once the cameras are drawn the first time;
 * `data-camera-count` is the number drawn after the filters.
 */
export function CameraMap(props: CameraMapProps): JSX.Element {
  const { data, incidents, statuses, selectedCameraId, onSendToWall, pickPoint, className } = props;
  const settings = useMapSettings();
  const client = useMapClient();
  const t = mapMessages(settings.lang);
  const container = useRef<HTMLDivElement | null>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const engineRef = useRef<MapEngine | null>(null);
  const [mapReady, setMapReady] = useState(false);
  const [fatal, setFatal] = useState<string | undefined>(undefined);
  const [drawError, setDrawError] = useState<string | undefined>(undefined);
  const [filters, setFilters] = useState<CameraFilters>(NO_FILTERS);
  const [drawn, setDrawn] = useState<{ count: number; ready: boolean }>({ count: 0, ready: false });
  const [selected, setSelected] = useState<string | null>(selectedCameraId ?? null);
  const [names, setNames] = useState(0);
  const popupRef = useRef<Popup | null>(null);
  const reportVisible = useRef<() => void>(() => undefined);
  const [popupNode] = useState<HTMLDivElement | null>(() =>
    typeof document === 'undefined' ? null : document.createElement('div'),
  );

  // Latest callbacks and values for the map's event handlers (registered once).
  const latest = useRef({
    data,
    pickPoint,
    onSelect: props.onSelectCamera,
    onVisible: props.onVisibleCamerasChange,
  });
  latest.current = {
    data,
    pickPoint,
    onSelect: props.onSelectCamera,
    onVisible: props.onVisibleCamerasChange,
  };

  const select = useCallback((id: string | null) => {
    setSelected(id);
    latest.current.onSelect?.(id);
  }, []);

  useEffect(() => client.onNames(() => setNames((n) => n + 1)), [client]);

  // ——— The map itself (once per base map and language) ———
  const styleKey = JSON.stringify(settings.style);
  useEffect(() => {
    const styleSetting = JSON.parse(styleKey) as MapStyleSetting;
    const el = container.current;
    if (!el) return;
    let disposed = false;
    let map: MapLibreMap | null = null;
    // MapLibre draws text with local fonts; a Mapbox style's glyph server would not know ours.
    const withText = styleSetting.kind !== 'mapbox';
    loadMapEngine(styleSetting)
      .then((lib) => {
        if (disposed) return;
        engineRef.current = lib;
        const style = styleSetting.kind === 'offline' ? offlineStyle(settings.lang) : styleSetting.url;
        map = new lib.Map({
          container: el,
          style,
          bounds: cityBounds(),
          fitBoundsOptions: { padding: 24 },
          minZoom: 6,
          maxZoom: 19,
          attributionControl: false,
          dragRotate: false,
          pitchWithRotate: false,
          localIdeographFontFamily: 'Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif',
        });
        mapRef.current = map;
        map.touchZoomRotate.disableRotation();
        map.addControl(new lib.NavigationControl({ showCompass: false }), 'bottom-right');
        map.addControl(new lib.ScaleControl({ unit: 'metric' }), 'bottom-left');
        const m = map;
        m.on('load', () => {
          if (disposed) return;
          addOverlayLayers(m, withText);
          wireEvents(m);
          setMapReady(true);
        });
        m.on('error', (e) => {
          // Missing tiles or glyphs of a configured style are not fatal; they are logged by the library.
          if (e.error && !m.loaded()) setFatal(e.error.message);
        });
      })
      .catch((err: unknown) => {
        if (!disposed) setFatal(err instanceof Error ? err.message : String(err));
      });

    function wireEvents(m: MapLibreMap) {
      const interactive = [LAYER.points, LAYER.clusters];
      m.on('click', (e: MapMouseEvent) => {
        const pick = latest.current.pickPoint;
        if (pick) {
          pick(e.lngLat.lng, e.lngLat.lat);
          return;
        }
        const box: [[number, number], [number, number]] = [
          [e.point.x - 6, e.point.y - 6],
          [e.point.x + 6, e.point.y + 6],
        ];
        const hit = m.queryRenderedFeatures(box, { layers: interactive })[0];
        if (!hit) return;
        const source = m.getSource(CAMERA_SOURCE) as GeoJSONSource | undefined;
        const clusterId = hit.properties?.cluster_id as number | undefined;
        if (clusterId !== undefined && source) {
          const center = (hit.geometry as { coordinates: [number, number] }).coordinates;
          void Promise.resolve(source.getClusterExpansionZoom(clusterId)).then((zoom) =>
            m.easeTo({ center, zoom: Math.min(zoom + 0.2, 19) }),
          );
          return;
        }
        const index = typeof hit.id === 'number' ? hit.id : Number(hit.id);
        const id = latest.current.data?.ids[index];
        if (id) select(id);
      });
      for (const layer of interactive) {
        m.on('mouseenter', layer, () => {
          if (!latest.current.pickPoint) m.getCanvas().style.cursor = 'pointer';
        });
        m.on('mouseleave', layer, () => {
          if (!latest.current.pickPoint) m.getCanvas().style.cursor = '';
        });
      }
      reportVisible.current = () => visibleCameras(m);
      m.on('moveend', () => visibleCameras(m));
    }

    function visibleCameras(m: MapLibreMap) {
      const cb = latest.current.onVisible;
      const d = latest.current.data;
      if (!cb || !d) return;
      const ids = new Set<string>();
      for (const f of m.queryRenderedFeatures({ layers: [LAYER.points] })) {
        const id = d.ids[typeof f.id === 'number' ? f.id : Number(f.id)];
        if (id) ids.add(id);
        if (ids.size >= MAX_VISIBLE) break;
      }
      cb([...ids]);
    }

    return () => {
      disposed = true;
      popupRef.current?.remove();
      popupRef.current = null;
      reportVisible.current = () => undefined;
      map?.remove();
      mapRef.current = null;
      setMapReady(false);
      setDrawn({ count: 0, ready: false });
    };
  }, [styleKey, settings.lang, select]);

  // ——— Cameras: the filtered FeatureCollection into the one clustered source ———
  const statusFilterOn = filters.statuses.length > 0;
  const statusesForFilter = statusFilterOn ? statuses : undefined;
  const builder = useRef<CameraFeatureBuilder | null>(null);
  useEffect(() => {
    const b = new CameraFeatureBuilder();
    builder.current = b;
    return () => {
      b.close();
      builder.current = null;
    };
  }, []);
  useEffect(() => {
    const m = mapRef.current;
    const b = builder.current;
    if (!mapReady || !m || !data || !b) return;
    const source = m.getSource(CAMERA_SOURCE) as GeoJSONSource | undefined;
    if (!source) return;
    let stale = false;
    b.build(data, filterMasks(data, filters, statusesForFilter))
      .then(async ({ url, count }) => {
        if (stale) return;
        await source.setData(url);
        if (stale) return;
        m.once('idle', () => {
          if (stale) return;
          if (performance.getEntriesByName('map:cameras-rendered').length === 0) {
            performance.mark('map:cameras-rendered');
          }
          setDrawn({ count, ready: true });
          setDrawError(undefined);
          reportVisible.current();
        });
        m.triggerRepaint();
      })
      .catch((err: unknown) => {
        if (!stale) setDrawError(err instanceof Error ? err.message : String(err));
      });
    return () => {
      stale = true;
    };
  }, [mapReady, data, filters, statusesForFilter]);

  // ——— Live status colours: feature state on the changed cameras only ———
  const shownStatus = useRef(new Map<number, string>());
  useEffect(() => {
    const m = mapRef.current;
    if (!mapReady || !m || !data) return;
    const next = new Map<number, string>();
    for (const [id, state] of Object.entries(statuses ?? {})) {
      const i = data.indexOf.get(id);
      if (i !== undefined) next.set(i, state);
    }
    const prev = shownStatus.current;
    for (const [i, state] of next) {
      if (prev.get(i) !== state) m.setFeatureState({ source: CAMERA_SOURCE, id: i }, { status: state });
    }
    for (const i of prev.keys()) {
      if (!next.has(i)) m.setFeatureState({ source: CAMERA_SOURCE, id: i }, { status: 'none' });
    }
    shownStatus.current = next;
  }, [mapReady, data, statuses]);
  useEffect(() => {
    // A new map or new data starts with no feature state.
    void data;
    void mapReady;
    shownStatus.current = new Map();
  }, [data, mapReady]);

  // ——— Incidents ———
  useEffect(() => {
    const m = mapRef.current;
    if (!mapReady || !m) return;
    const list = incidents ?? [];
    (m.getSource(INCIDENT_SOURCE) as GeoJSONSource | undefined)?.setData(incidentFeatures(list) as never);
    (m.getSource(INCIDENT_CENTRE_SOURCE) as GeoJSONSource | undefined)?.setData(
      incidentCentres(list) as never,
    );
  }, [mapReady, incidents]);

  // ——— Selection from outside (search, wall): select and fly there ———
  useEffect(() => {
    if (selectedCameraId === undefined) return;
    setSelected(selectedCameraId);
  }, [selectedCameraId]);

  // `names` is a counter that changes when a camera name becomes known.
  // biome-ignore lint/correctness/useExhaustiveDependencies: names is a change counter
  const selectedCamera = useMemo(
    () => (selected ? findCamera(data, selected, client.nameOf(selected)) : undefined),
    [data, selected, client, names],
  );

  const flownTo = useRef<string | null>(null);
  useEffect(() => {
    const m = mapRef.current;
    if (!mapReady || !m) return;
    const index = selected ? data?.indexOf.get(selected) : undefined;
    m.setFilter(LAYER.selected, selectedFilter(index ?? null));
    if (!selectedCamera) {
      popupRef.current?.remove();
      popupRef.current = null;
      flownTo.current = null;
      return;
    }
    const lngLat: [number, number] = [selectedCamera.lon, selectedCamera.lat];
    if (flownTo.current !== selectedCamera.id) {
      flownTo.current = selectedCamera.id;
      const bounds = m.getBounds();
      const inView = bounds.contains(lngLat) && m.getZoom() > CLUSTER_MAX_ZOOM;
      if (!inView)
        m.flyTo({ center: lngLat, zoom: Math.max(m.getZoom(), CLUSTER_MAX_ZOOM + 1.5), speed: 1.6 });
    }
    const lib = engineRef.current;
    if (!lib || !popupNode) return;
    if (!popupRef.current) {
      const popup = new lib.Popup({
        closeButton: false,
        closeOnClick: false,
        maxWidth: '360px',
        offset: 14,
        className: styles.popup,
      });
      popup.setDOMContent(popupNode);
      popupRef.current = popup;
    }
    popupRef.current.setLngLat(lngLat);
    if (!popupRef.current.isOpen()) popupRef.current.addTo(m);
  }, [mapReady, data, selected, selectedCamera, popupNode]);

  // Crosshair while picking a point.
  useEffect(() => {
    const m = mapRef.current;
    if (m) m.getCanvas().style.cursor = pickPoint ? 'crosshair' : '';
  }, [pickPoint]);

  const status: MapStatus = (selected && statuses?.[selected]) || 'none';
  return (
    <div
      className={`${styles.mapRoot} ${className ?? ''}`}
      data-testid="map"
      data-ready={drawn.ready ? 'true' : 'false'}
      data-camera-count={drawn.count}
      data-picking={pickPoint ? 'true' : undefined}
    >
      <div ref={container} className={styles.mapCanvas} />
      {fatal && (
        <div className={styles.mapFatal} role="alert">
          {t.webglUnavailable}: {fatal}
        </div>
      )}
      {!data && !fatal && <div className={styles.mapLoading}>{t.loading}</div>}
      {drawError && (
        <div className={styles.mapLoading} role="alert">
          {t.loadFailed}: {drawError}
        </div>
      )}
      {pickPoint && <div className={styles.pickHint}>{t.pickPoint}</div>}
      {props.showFilters !== false && (
        <CameraFilterPanel data={data} filters={filters} onChange={setFilters} drawn={drawn.count} />
      )}
      <MapLegend />
      {popupNode &&
        selectedCamera &&
        createPortal(
          <CameraPreview
            key={selectedCamera.id}
            camera={selectedCamera}
            status={status}
            onClose={() => select(null)}
            onSendToWall={onSendToWall}
          />,
          popupNode,
        )}
    </div>
  );
}
