import type { Incident } from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import { INCIDENT_SELECT, type IncidentRow, incidentJson } from '../incidents/index.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An incident as sockets receive it (the shape of the incidents API). */
export async function loadIncident(
  q: Queryable,
  id: string,
  grantMaxMs: number,
): Promise<Incident | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await q.query<IncidentRow>(`${INCIDENT_SELECT} WHERE i.id = $1`, [id]);
  const r = rows[0];
  return r ? incidentJson(r, grantMaxMs) : undefined;
}
