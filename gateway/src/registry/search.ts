import { createHash } from 'node:crypto';
import {
  AppError,
  type CameraItem,
  type CameraMapQuery,
  type CameraPage,
  type CameraSearchQuery,
  type CameraState,
  type DistrictCode,
  type Funding,
  type Grade,
  MAP_CATEGORIES,
  MAP_STATES,
  type SiteCategory,
} from '@wall/protocol';
import type { Queryable } from '../db/index.ts';
import {
  type CameraFacts,
  catalogConditions,
  decide,
  haversineSql,
  type IncidentFacts,
  type PolicyContext,
  radiusBox,
  type Subject,
} from '../policy/index.ts';
import { factsOf, ITEM_COLUMNS, ITEM_FROM, type ItemRow, toItem } from './rows.ts';
import { containsPattern, Sql, where } from './sql.ts';

/** Who is searching and what the policy needs besides the cameras. */
export interface SearchContext {
  db: Queryable;
  subject: Subject;
  incidents: readonly IncidentFacts[];
  now: Date;
}

type Filters = Pick<CameraSearchQuery, 'bbox' | 'district' | 'category' | 'grade' | 'state' | 'q'>;

/** The caller's filters as SQL conditions (ANDed). */
function filterConditions(sql: Sql, f: Filters): string[] {
  const out: string[] = [];
  if (f.bbox) {
    const [minLon, minLat, maxLon, maxLat] = f.bbox;
    out.push(
      `c.lon BETWEEN ${sql.p(minLon)} AND ${sql.p(maxLon)} AND c.lat BETWEEN ${sql.p(minLat)} AND ${sql.p(maxLat)}`,
    );
  }
  if (f.district) out.push(`c.district_code = ${sql.p(f.district)}`);
  if (f.category) out.push(`c.site_category = ANY(${sql.p(f.category)}::text[])`);
  if (f.grade) out.push(`c.grade = ANY(${sql.p(f.grade)}::int[])`);
  if (f.state) out.push(`c.state = ANY(${sql.p(f.state)}::text[])`);
  if (f.q) {
    const pattern = sql.p(containsPattern(f.q));
    out.push(
      `lower(c.name) LIKE lower(${pattern}) ESCAPE '\\' OR lower(c.address) LIKE lower(${pattern}) ESCAPE '\\'`,
    );
  }
  return out;
}

function contextOf(ctx: SearchContext): PolicyContext {
  return { now: ctx.now, openIncidents: ctx.incidents };
}

// --- cursors ----------------------------------------------------------------------------------

/** A cursor names the last camera of a page and the filters it belongs to. */
type CursorKey = { id: string } | { id: string; d: number };

function fingerprint(q: CameraSearchQuery): string {
  const { cursor: _c, limit: _l, ...filters } = q;
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

function encodeCursor(q: CameraSearchQuery, key: CursorKey): string {
  return Buffer.from(JSON.stringify({ v: 1, f: fingerprint(q), k: key })).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeCursor(q: CameraSearchQuery, cursor: string): CursorKey {
  const bad = () => new AppError('invalid:request', 'cursor: not a cursor of this search');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const c = parsed as { v?: unknown; f?: unknown; k?: { id?: unknown; d?: unknown } } | null;
  if (c?.v !== 1 || c.f !== fingerprint(q) || typeof c.k !== 'object' || c.k === null) throw bad();
  const { id, d } = c.k;
  if (typeof id !== 'string' || !UUID.test(id)) throw bad();
  if (q.near) {
    if (typeof d !== 'number' || !Number.isFinite(d)) throw bad();
    return { id, d };
  }
  return { id };
}

// --- search -------------------------------------------------------------------------------------

/** Above this many matches the first page's `total` is null (counting costs as much as matching). */
export const MAX_TOTAL = 1000;
const MAX_REFILLS = 8;

type PageRow = ItemRow & { distance_m?: number; total_n?: number };

/**
 * `GET /api/cameras`: the cameras matching the filters that the caller may `catalog:read`, one
 * keyset page at a time, straight from the database: what the policy can express is pushed into the
 * SQL ({@link catalogConditions}) so the indexes do the narrowing, and `decide()` gates every row
 * that comes back (a page the gate thinned is refilled from the rows after it).
 *
 * Without `near`: id order, and `total` from a count capped at {@link MAX_TOTAL}. With `near`:
 * the radius's bounding box (lon/lat index), then the policy's haversine computed by the database,
 * inclusive of the radius, ordered by (distance, id), `distanceM` = that distance, exact `total`.
 */
export async function searchCameras(ctx: SearchContext, q: CameraSearchQuery): Promise<CameraPage> {
  const after = q.cursor ? decodeCursor(q, q.cursor) : undefined;
  const near =
    q.near && q.radiusM !== undefined ? { lon: q.near[0], lat: q.near[1], r: q.radiusM } : undefined;
  const base = (sql: Sql): string[] => {
    const conditions = catalogConditions(sql, ctx.subject, ctx.incidents, ctx.now);
    if (!near) return [...conditions, ...filterConditions(sql, q)];
    const box = radiusBox(near.lon, near.lat, near.r);
    return [...conditions, ...filterConditions(sql, { ...q, bbox: intersect(q.bbox, box) })];
  };
  const fetch = async (key: CursorKey | undefined, want: number, withTotal: boolean): Promise<PageRow[]> => {
    const sql = new Sql();
    const conditions = base(sql);
    if (!near) {
      if (key) conditions.push(`c.id > ${sql.p(key.id)}::uuid`);
      // Chosen on narrow rows (the lon/lat index covers the policy's columns), then the files joined.
      const { rows } = await ctx.db.query<PageRow>(
        `WITH page AS (SELECT c.id FROM ${ITEM_FROM} ${where(conditions)} ORDER BY c.id LIMIT ${sql.p(want)})
         SELECT ${ITEM_COLUMNS} FROM page JOIN ${ITEM_FROM} ON c.id = page.id ORDER BY c.id`,
        sql.params,
      );
      return rows;
    }
    const outer = [`distance_m <= ${sql.p(near.r)}::float8`];
    if (key && 'd' in key) outer.push(`(distance_m, id) > (${sql.p(key.d)}::float8, ${sql.p(key.id)}::uuid)`);
    const distance = haversineSql(sql.p(near.lon), sql.p(near.lat));
    // Ordered and counted on narrow rows (id, distance); the page's files are joined afterwards.
    const { rows } = await ctx.db.query<PageRow>(
      `WITH page AS (
         SELECT id, distance_m${withTotal ? ', count(*) OVER ()::int AS total_n' : ''}
           FROM (SELECT c.id, ${distance} AS distance_m FROM ${ITEM_FROM} ${where(conditions)}) t
          ${where(outer)} ORDER BY distance_m, id LIMIT ${sql.p(want)})
       SELECT ${ITEM_COLUMNS}, page.distance_m${withTotal ? ', page.total_n' : ''}
         FROM page JOIN ${ITEM_FROM} ON c.id = page.id ORDER BY page.distance_m, page.id`,
      sql.params,
    );
    return rows;
  };
  const keyOf = (row: PageRow): CursorKey =>
    near ? { id: row.id, d: row.distance_m as number } : { id: row.id };

  // The count runs beside the first page (another connection), capped so it stays cheap.
  const counted = !near && after === undefined ? countMatches(ctx.db, base) : Promise.resolve(null);
  counted.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
  const policy = contextOf(ctx);
  const items: CameraItem[] = [];
  let total: number | null = null;
  let last = after;
  let lastIncluded: CursorKey | undefined;
  let nextCursor: string | null = null;
  for (let round = 0; ; round++) {
    if (round === MAX_REFILLS) {
      // The gate kept refusing what the database offered: hand back what there is, go on from there.
      nextCursor = last ? encodeCursor(q, last) : null;
      break;
    }
    // One row more than the page needs tells whether anything follows it.
    const want = q.limit - items.length + 1;
    const rows = await fetch(last, want, near !== undefined && after === undefined && round === 0);
    if (round === 0 && near && after === undefined) total = rows[0]?.total_n ?? 0;
    let full = false;
    for (const row of rows) {
      if (items.length === q.limit) {
        full = true;
        break;
      }
      last = keyOf(row);
      const decision = decide(ctx.subject, factsOf(row), 'catalog:read', policy);
      if (!decision.allow) continue;
      items.push(
        toItem(row, {
          ...(near ? { distanceM: row.distance_m as number } : {}),
          emergency: decision.reason === 'allowed:emergency',
        }),
      );
      lastIncluded = last;
    }
    if (full) {
      nextCursor = encodeCursor(q, lastIncluded as CursorKey);
      break;
    }
    if (rows.length < want) break;
  }
  if (!near) total = await counted;
  return { items, nextCursor, total };
}

/** Matches up to {@link MAX_TOTAL}; null above it. */
async function countMatches(db: Queryable, conditions: (sql: Sql) => string[]): Promise<number | null> {
  const sql = new Sql();
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${ITEM_FROM} ${where(conditions(sql))} LIMIT ${sql.p(MAX_TOTAL + 1)}) m`,
    sql.params,
  );
  const n = rows[0]?.n ?? 0;
  return n > MAX_TOTAL ? null : n;
}

function intersect(
  bbox: [number, number, number, number] | undefined,
  box: { minLon: number; minLat: number; maxLon: number; maxLat: number },
): [number, number, number, number] {
  if (!bbox) return [box.minLon, box.minLat, box.maxLon, box.maxLat];
  return [
    Math.max(bbox[0], box.minLon),
    Math.max(bbox[1], box.minLat),
    Math.min(bbox[2], box.maxLon),
    Math.min(bbox[3], box.maxLat),
  ];
}

// --- facts scan (map) ----------------------------------------------------------------------------

interface FactsGroup {
  owner: string;
  funding: Funding;
  /** JSON arrays as text (parsed here: the drivers' array parsers are several times slower). */
  ids: string;
  lons: string;
  lats: string;
  districts: string;
  grades: string;
  states: string;
  categories: string;
}

/**
 * One query for the facts of every matching camera, as parallel arrays per source system (a few
 * hundred rows at most, however many cameras), then `decide()` over each camera with one reused
 * facts object: nothing is allocated per camera except by `visit`.
 */
async function scanFacts(
  ctx: SearchContext,
  f: Filters,
  visit: (facts: CameraFacts, emergency: boolean, category: SiteCategory) => void,
): Promise<void> {
  const sql = new Sql();
  const conditions = [
    ...catalogConditions(sql, ctx.subject, ctx.incidents, ctx.now),
    ...filterConditions(sql, f),
  ];
  const { rows } = await ctx.db.query<FactsGroup>(
    `SELECT s.owner_org_id::text AS owner, s.funding,
            json_agg(c.id)::text AS ids, json_agg(c.lon)::text AS lons, json_agg(c.lat)::text AS lats,
            json_agg(c.district_code)::text AS districts, json_agg(c.grade)::text AS grades,
            json_agg(c.state)::text AS states, json_agg(c.site_category)::text AS categories
       FROM ${ITEM_FROM} ${where(conditions)}
      GROUP BY s.id`,
    sql.params,
  );
  const policy = contextOf(ctx);
  const facts: CameraFacts = {
    id: '',
    ownerOrgId: '',
    funding: 'private',
    districtCode: '320402',
    grade: 1,
    state: 'registered',
    lon: 0,
    lat: 0,
  };
  for (const g of rows) {
    const ids = JSON.parse(g.ids) as string[];
    const lons = JSON.parse(g.lons) as number[];
    const lats = JSON.parse(g.lats) as number[];
    const districts = JSON.parse(g.districts) as DistrictCode[];
    const grades = JSON.parse(g.grades) as Grade[];
    const states = JSON.parse(g.states) as CameraState[];
    const categories = JSON.parse(g.categories) as SiteCategory[];
    facts.ownerOrgId = g.owner;
    facts.funding = g.funding;
    for (let i = 0; i < ids.length; i++) {
      facts.id = ids[i] as string;
      facts.lon = lons[i] as number;
      facts.lat = lats[i] as number;
      facts.districtCode = districts[i] as DistrictCode;
      facts.grade = grades[i] as Grade;
      facts.state = states[i] as CameraState;
      const decision = decide(ctx.subject, facts, 'catalog:read', policy);
      if (decision.allow)
        visit(facts, decision.reason === 'allowed:emergency', categories[i] as SiteCategory);
    }
  }
}

const STATE_INDEX = new Map(MAP_STATES.map((s, i) => [s, i]));
const CATEGORY_INDEX = new Map(MAP_CATEGORIES.map((c, i) => [c, i]));

/**
 * `GET /api/cameras/geojson`: every camera the caller may `catalog:read` (filters optional), for the
 * map, as JSON text — a GeoJSON FeatureCollection, or the compact parallel arrays (about a third of
 * the size). Values come from constrained columns (uuids, enums, finite numbers), so the text is
 * written directly.
 */
export async function cameraMap(ctx: SearchContext, q: CameraMapQuery): Promise<string> {
  if (q.format === 'compact') {
    const out = {
      format: 'compact',
      count: 0,
      states: MAP_STATES,
      categories: MAP_CATEGORIES,
      id: [] as string[],
      lon: [] as number[],
      lat: [] as number[],
      grade: [] as number[],
      state: [] as number[],
      category: [] as number[],
      private: [] as number[],
      emergency: [] as number[],
    };
    await scanFacts(ctx, q, (f, emergency, category) => {
      out.id.push(f.id);
      out.lon.push(f.lon);
      out.lat.push(f.lat);
      out.grade.push(f.grade);
      out.state.push(STATE_INDEX.get(f.state) ?? -1);
      out.category.push(CATEGORY_INDEX.get(category) ?? -1);
      out.private.push(f.funding === 'government' ? 0 : 1);
      out.emergency.push(emergency ? 1 : 0);
    });
    out.count = out.id.length;
    return JSON.stringify(out);
  }
  const parts: string[] = [];
  await scanFacts(ctx, q, (f, emergency, category) => {
    parts.push(
      `{"type":"Feature","id":"${f.id}","geometry":{"type":"Point","coordinates":[${f.lon},${f.lat}]},"properties":{"grade":${f.grade},"state":"${f.state}","category":"${category}","funding":"${f.funding}","emergency":${emergency}}}`,
    );
  });
  return `{"type":"FeatureCollection","features":[${parts.join(',')}]}`;
}
