import { DISTRICTS } from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, districtBounds } from '@wall/protocol/districts';
import type { StyleSpecification } from 'maplibre-gl';
import type { Lang } from '../../lib/i18n';

/**
 * The built-in offline base map: a dark command-centre theme drawn only from the district GeoJSON
 * shipped in `@wall/protocol` (no tiles, no sprite, no glyphs URL — nothing leaves the machine).
 * District names are real text: MapLibre 6 draws every glyph locally with the browser's fonts
 * (TinySDF) when the style has no `glyphs` URL, so Chinese names need only a CJK system font.
 */
export const MAP_FONT = ['Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', 'sans-serif'];

export const THEME = {
  background: '#060b16',
  districtFill: ['#0f2240', '#112a4a', '#0d1f3b', '#132d52', '#0e2444', '#10284a'],
  districtLine: '#2f81f7',
  districtGlow: '#1f6feb',
  label: '#9fb4d6',
  labelHalo: '#060b16',
} as const;

/** Bounds of Changzhou (all six districts): [[minLon, minLat], [maxLon, maxLat]]. */
export function cityBounds(): [[number, number], [number, number]] {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const d of DISTRICTS) {
    const [a, b, c, e] = districtBounds(d.code);
    minX = Math.min(minX, a);
    minY = Math.min(minY, b);
    maxX = Math.max(maxX, c);
    maxY = Math.max(maxY, e);
  }
  return [
    [minX, minY],
    [maxX, maxY],
  ];
}

function districtFeatures(lang: Lang) {
  return CHANGZHOU_DISTRICTS.features.map((f, i) => {
    const code = String(f.properties.adcode);
    const d = DISTRICTS.find((x) => x.code === code);
    return {
      type: 'Feature' as const,
      id: i,
      properties: { code, name: d ? (lang === 'en' ? d.nameEn : d.name) : f.properties.name, shade: i % 6 },
      geometry: f.geometry,
    };
  });
}

function labelFeatures(lang: Lang) {
  return districtFeatures(lang).map((f, i) => ({
    type: 'Feature' as const,
    id: i,
    properties: f.properties,
    geometry: {
      type: 'Point' as const,
      coordinates: CHANGZHOU_DISTRICTS.features[i]?.properties.centroid ?? [0, 0],
    },
  }));
}

export function offlineStyle(lang: Lang): StyleSpecification {
  return {
    version: 8,
    name: 'wall-offline-dark',
    sources: {
      districts: { type: 'geojson', data: { type: 'FeatureCollection', features: districtFeatures(lang) } },
      'district-labels': {
        type: 'geojson',
        data: { type: 'FeatureCollection', features: labelFeatures(lang) },
      },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': THEME.background } },
      {
        id: 'district-fill',
        type: 'fill',
        source: 'districts',
        paint: {
          'fill-color': [
            'match',
            ['get', 'shade'],
            0,
            THEME.districtFill[0],
            1,
            THEME.districtFill[1],
            2,
            THEME.districtFill[2],
            3,
            THEME.districtFill[3],
            4,
            THEME.districtFill[4],
            THEME.districtFill[5],
          ],
          'fill-opacity': 0.85,
        },
      },
      {
        id: 'district-glow',
        type: 'line',
        source: 'districts',
        paint: { 'line-color': THEME.districtGlow, 'line-width': 6, 'line-opacity': 0.18, 'line-blur': 4 },
      },
      {
        id: 'district-line',
        type: 'line',
        source: 'districts',
        paint: { 'line-color': THEME.districtLine, 'line-width': 1.2, 'line-opacity': 0.8 },
      },
      {
        id: 'district-label',
        type: 'symbol',
        source: 'district-labels',
        layout: {
          'text-field': ['get', 'name'],
          'text-font': MAP_FONT,
          'text-size': ['interpolate', ['linear'], ['zoom'], 8, 13, 12, 20],
          'text-letter-spacing': 0.15,
          'text-allow-overlap': true,
        },
        paint: {
          'text-color': THEME.label,
          'text-halo-color': THEME.labelHalo,
          'text-halo-width': 1.5,
          'text-opacity': ['interpolate', ['linear'], ['zoom'], 13, 1, 15, 0.25],
        },
      },
    ],
  };
}
