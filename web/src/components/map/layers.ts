import type { Map as MapLibreMap } from 'maplibre-gl';
import { GRADE_COLORS, INCIDENT_COLORS, STATUS_COLORS } from './camera';
import { MAP_FONT } from './style';

export const CAMERA_SOURCE = 'cameras';
export const INCIDENT_SOURCE = 'incidents';
export const INCIDENT_CENTRE_SOURCE = 'incident-centres';
export const LAYER = {
  clusters: 'camera-clusters',
  clusterCount: 'camera-cluster-count',
  points: 'camera-points',
  selected: 'camera-selected',
  incidentFill: 'incident-fill',
  incidentLine: 'incident-line',
  incidentLabel: 'incident-label',
} as const;

/** Clustered below this zoom; single cameras drawn from it on. */
export const CLUSTER_MAX_ZOOM = 14;

const EMPTY = { type: 'FeatureCollection' as const, features: [] };

const statusColor = [
  'match',
  ['coalesce', ['feature-state', 'status'], 'none'],
  'live',
  STATUS_COLORS.live,
  'starting',
  STATUS_COLORS.starting,
  'stalled',
  STATUS_COLORS.stalled,
  'offline',
  STATUS_COLORS.offline,
  STATUS_COLORS.none,
];

/**
 * Incidents (circle polygons by level) and cameras: ONE clustered GeoJSON source; clusters as
 * circles sized and coloured by count, with the count as text; single cameras as circles filled by
 * live status (feature state `status`) with a ring whose colour and thickness give the grade.
 */
export function addOverlayLayers(map: MapLibreMap, withText: boolean): void {
  map.addSource(INCIDENT_SOURCE, { type: 'geojson', data: EMPTY });
  map.addSource(INCIDENT_CENTRE_SOURCE, { type: 'geojson', data: EMPTY });
  const levelColor = [
    'match',
    ['get', 'level'],
    1,
    INCIDENT_COLORS[1],
    2,
    INCIDENT_COLORS[2],
    3,
    INCIDENT_COLORS[3],
    INCIDENT_COLORS[4],
  ];
  map.addLayer({
    id: LAYER.incidentFill,
    type: 'fill',
    source: INCIDENT_SOURCE,
    paint: { 'fill-color': levelColor as never, 'fill-opacity': 0.18 },
  });
  map.addLayer({
    id: LAYER.incidentLine,
    type: 'line',
    source: INCIDENT_SOURCE,
    paint: { 'line-color': levelColor as never, 'line-width': 2, 'line-dasharray': [3, 2] },
  });
  if (withText) {
    map.addLayer({
      id: LAYER.incidentLabel,
      type: 'symbol',
      source: INCIDENT_CENTRE_SOURCE,
      layout: {
        'text-field': ['get', 'title'],
        'text-font': MAP_FONT,
        'text-size': 13,
        'text-offset': [0, 1.2],
      },
      paint: { 'text-color': levelColor as never, 'text-halo-color': '#060b16', 'text-halo-width': 1.5 },
    });
  }

  map.addSource(CAMERA_SOURCE, {
    type: 'geojson',
    data: EMPTY,
    cluster: true,
    clusterRadius: 48,
    clusterMaxZoom: CLUSTER_MAX_ZOOM,
    buffer: 32,
  });
  map.addLayer({
    id: LAYER.clusters,
    type: 'circle',
    source: CAMERA_SOURCE,
    filter: ['has', 'point_count'],
    paint: {
      'circle-color': [
        'step',
        ['get', 'point_count'],
        '#1f6feb',
        50,
        '#388bfd',
        500,
        '#a371f7',
        5000,
        '#db61a2',
      ],
      'circle-radius': ['step', ['get', 'point_count'], 13, 50, 17, 500, 22, 5000, 28],
      'circle-opacity': 0.85,
      'circle-stroke-color': '#c9d1d9',
      'circle-stroke-width': 1,
      'circle-stroke-opacity': 0.5,
    },
  });
  if (withText) {
    map.addLayer({
      id: LAYER.clusterCount,
      type: 'symbol',
      source: CAMERA_SOURCE,
      filter: ['has', 'point_count'],
      layout: {
        'text-field': ['get', 'point_count_abbreviated'],
        'text-font': MAP_FONT,
        'text-size': 12,
        'text-allow-overlap': true,
      },
      paint: { 'text-color': '#ffffff' },
    });
  }
  map.addLayer({
    id: LAYER.points,
    type: 'circle',
    source: CAMERA_SOURCE,
    filter: ['!', ['has', 'point_count']],
    paint: {
      'circle-color': statusColor as never,
      'circle-radius': ['match', ['get', 'g'], 4, 8, 3, 7, 2, 6, 5] as never,
      'circle-stroke-width': ['match', ['get', 'g'], 4, 3.5, 3, 2.5, 2, 1.5, 1] as never,
      'circle-stroke-color': [
        'match',
        ['get', 'g'],
        4,
        GRADE_COLORS[4],
        3,
        GRADE_COLORS[3],
        2,
        GRADE_COLORS[2],
        GRADE_COLORS[1],
      ] as never,
    },
  });
  map.addLayer({
    id: LAYER.selected,
    type: 'circle',
    source: CAMERA_SOURCE,
    filter: selectedFilter(null),
    paint: {
      'circle-radius': 13,
      'circle-color': 'rgba(0,0,0,0)',
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 2,
    },
  });
}

/** Filter of the selection ring: the single camera with this feature id (index), or nothing. */
export function selectedFilter(index: number | null) {
  return ['all', ['!', ['has', 'point_count']], ['==', ['id'], index ?? -1]] as never;
}
