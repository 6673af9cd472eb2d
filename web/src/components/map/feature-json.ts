/**
 * The clustered source's GeoJSON, written as text in one pass over the camera columns (no feature
 * objects: 100 000 cameras make one ~9 MB string, which MapLibre's worker fetches and parses itself).
 * Pure and import-free: it runs in the filter worker, and on the main thread as a fallback.
 */

export interface CameraColumns {
  count: number;
  lon: Float64Array;
  lat: Float64Array;
  grade: Uint8Array;
  district: Uint8Array;
  category: Uint8Array;
}

/** What to keep: per value of a column (1 = keep) or per camera; an absent mask keeps everything. */
export interface FilterMasks {
  district?: Uint8Array | undefined;
  category?: Uint8Array | undefined;
  grade?: Uint8Array | undefined;
  camera?: Uint8Array | undefined;
}

export function cameraFeatureJson(c: CameraColumns, m: FilterMasks): { json: string; count: number } {
  const parts: string[] = [];
  for (let i = 0; i < c.count; i++) {
    if (m.district && m.district[c.district[i] ?? 0] !== 1) continue;
    if (m.category && m.category[c.category[i] ?? 0] !== 1) continue;
    if (m.grade && m.grade[c.grade[i] ?? 0] !== 1) continue;
    if (m.camera && m.camera[i] !== 1) continue;
    // Feature id = the camera's index (feature state needs numbers); `g` = grade for the symbol.
    parts.push(
      `{"type":"Feature","id":${i},"properties":{"g":${c.grade[i] ?? 1}},"geometry":{"type":"Point","coordinates":[${c.lon[i] ?? 0},${c.lat[i] ?? 0}]}}`,
    );
  }
  return { json: `{"type":"FeatureCollection","features":[${parts.join(',')}]}`, count: parts.length };
}
