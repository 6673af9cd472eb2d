import { DISTRICTS } from '@wall/protocol';
import { CHANGZHOU_DISTRICTS } from '@wall/protocol/districts';
import type { Queryable } from './db.ts';

/** Loads the reference data every installation needs (the city's districts); idempotent. */
export async function loadReferenceData(db: Queryable): Promise<void> {
  const rows = CHANGZHOU_DISTRICTS.features.map((f) => {
    const code = String(f.properties.adcode);
    const d = DISTRICTS.find((x) => x.code === code);
    if (!d) throw new Error(`district ${code} in the GeoJSON is not a known district`);
    return {
      code,
      name: d.name,
      name_en: d.nameEn,
      center_lon: f.properties.centroid[0],
      center_lat: f.properties.centroid[1],
      geometry: f.geometry,
    };
  });
  await db.query(
    `INSERT INTO districts (code, name, name_en, center_lon, center_lat, geometry)
     SELECT code, name, name_en, center_lon, center_lat, geometry
       FROM jsonb_to_recordset($1::jsonb)
         AS r(code text, name text, name_en text, center_lon float8, center_lat float8, geometry jsonb)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en,
       center_lon = EXCLUDED.center_lon, center_lat = EXCLUDED.center_lat, geometry = EXCLUDED.geometry`,
    [JSON.stringify(rows)],
  );
}
