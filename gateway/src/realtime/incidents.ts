import type { Incident } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';

interface Row {
  id: string;
  title: string;
  level: number;
  lon: number;
  lat: number;
  radius_m: number;
  district_code: string | null;
  opened_at: Date | string;
  closed_at: Date | string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An incident as sockets receive it (the shape of the incidents API). */
export async function loadIncident(q: Queryable, id: string): Promise<Incident | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await q.query<Row>(
    `SELECT id, title, level, lon, lat, radius_m, district_code, opened_at, closed_at
       FROM incidents WHERE id = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    title: r.title,
    level: r.level,
    lon: r.lon,
    lat: r.lat,
    radiusM: r.radius_m,
    districtCode: r.district_code,
    openedAt: new Date(r.opened_at).toISOString(),
    closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
  };
}
