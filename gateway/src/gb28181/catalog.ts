import type { DistrictCode } from '@wall/protocol';
import * as gb from '@wall/protocol/gb28181';
import { type AuditEntryInput, appendAudit } from '../audit/index.ts';
import type { Queryable } from '../db/index.ts';
import { AppError } from '../lib/app-error.ts';
import type { Logger } from '../lib/logger.ts';
import { type ChannelFacts, classifyItem, type SkipReason } from './catalog-items.ts';
import type { DeviceStore, GbSource } from './device-store.ts';
import type { DeviceSession } from './devices.ts';

/** Who asked for a catalogue change (a user through the API, or the SIP server itself). */
export interface Actor {
  actorId: string | null;
  actorName: string;
  address: string | null;
}

export interface CatalogSignalling {
  online(deviceId: string): DeviceSession | undefined;
  /** Sends a MANSCDP MESSAGE to the device and resolves with the answer's status. */
  message(deviceId: string, m: gb.ManscdpMessage, options?: { target?: string }): Promise<number>;
  nextSn(): number;
}

export interface CatalogDeps {
  store: DeviceStore;
  signalling: CatalogSignalling;
  logger: Logger;
  /** Group-committed audit entries (a sync that changes nothing has no transaction of its own). */
  audit: (entry: AuditEntryInput) => Promise<unknown>;
  /** Announces changed cameras (decision caches drop them); called after commit. */
  onCamerasChanged: (sourceId: string, cameraIds: string[]) => Promise<void>;
  /** A query is over when no page came for this long (default 3 s). */
  stallMs?: number;
  /** …or after this long in all (default 60 s). */
  maxMs?: number;
}

export interface CatalogSummary {
  sn: number;
  sumNum: number | null;
  received: number;
  pages: number;
  complete: boolean;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  statusChanged: number;
  skipped: number;
  /** The first skipped items with why (at most 50). */
  skippedItems: { id: string; reason: SkipReason | 'removed' }[];
}

interface Pending {
  collector: gb.CatalogCollector;
  lastPageAt: number;
  wake: () => void;
}

interface ExistingRow {
  id: string;
  external_id: string;
  name: string;
  address: string | null;
  lon: number;
  lat: number;
  district_code: DistrictCode;
  grade: number;
  state: string;
  source_status: string | null;
  online: boolean | null;
}

const MAX_SKIPPED_LISTED = 50;

/**
 * Catalogue queries (on register and on demand) and NOTIFY events, kept in the camera registry
 * under the device's source system. Pages are collected by (device, SN) with the library's
 * `CatalogCollector` until SumNum items arrived or pages stop coming; each sync commits its camera
 * changes with one `gb.catalog` audit entry. A channel deleted by its device is `removed` (its
 * file is kept); the catalogue never lowers a grade that was raised (by an administrator or an
 * earlier `Secrecy`) and never changes category, location kind or lifecycle state of a filed
 * camera except removal.
 */
export class GbCatalog {
  readonly #d: CatalogDeps;
  readonly #log: Logger;
  readonly #pending = new Map<string, Pending>();
  readonly #inflight = new Map<string, Promise<CatalogSummary>>();

  constructor(deps: CatalogDeps) {
    this.#d = deps;
    this.#log = deps.logger;
  }

  /** Queries the device's catalogue and files it (one at a time per device). */
  sync(deviceId: string, actor: Actor): Promise<CatalogSummary> {
    const running = this.#inflight.get(deviceId);
    if (running) return running;
    const p = this.#sync(deviceId, actor).finally(() => this.#inflight.delete(deviceId));
    this.#inflight.set(deviceId, p);
    return p;
  }

  /** A catalogue answer page: true when a query was waiting for it. */
  onPage(page: gb.CatalogPage): boolean {
    const pending = this.#pending.get(`${page.deviceId}|${page.sn}`);
    if (!pending?.collector.add(page)) {
      this.#log.debug({ deviceId: page.deviceId, sn: page.sn }, 'gb catalogue page nobody asked for');
      return false;
    }
    pending.lastPageAt = Date.now();
    if (pending.collector.complete) pending.wake();
    return true;
  }

  /** Catalogue events (NOTIFY, or a MESSAGE with a Notify root) from a registered device. */
  async onNotify(session: DeviceSession, page: gb.CatalogPage, address: string): Promise<void> {
    const source = await this.#d.store.sourceById(this.#d.store.db, session.sourceId);
    if (!source) return;
    const actor: Actor = { actorId: null, actorName: `gb28181:${session.deviceId}`, address };
    const { ids, summary } = await this.#d.store.db.transaction(async (tx) => {
      const existing = await loadExisting(tx, source.id, true);
      const events: Record<string, number> = {};
      const upserts: gb.CatalogItem[] = [];
      const out = emptyResult();
      const changedIds = new Set<string>();
      for (const item of page.items) {
        const event = item.event ?? 'UPDATE';
        events[event] = (events[event] ?? 0) + 1;
        if (event === 'ADD' || event === 'UPDATE') {
          upserts.push(item);
          continue;
        }
        const row = existing.get(item.deviceId);
        if (!row) {
          out.skipped++;
          continue;
        }
        if (event === 'DEL') {
          if (row.state === 'removed') continue;
          await tx.query(
            `UPDATE cameras SET state = 'removed', online = false, status_changed_at = now(), updated_at = now()
              WHERE id = $1`,
            [row.id],
          );
          out.removed++;
          changedIds.add(row.id);
        } else {
          // ON / OFF / VLOST / DEFECT: the channel's own status.
          const online = session.online && event === 'ON';
          if (row.source_status === event && row.online === online) continue;
          await tx.query(
            'UPDATE cameras SET source_status = $2, online = $3, status_changed_at = now() WHERE id = $1',
            [row.id, event, online],
          );
          out.statusChanged++;
        }
      }
      const applied = planItems(source, upserts, existing, session.online);
      for (const id of await writePlan(tx, source, applied)) changedIds.add(id);
      const summary = {
        ...out,
        added: applied.counts.added,
        updated: applied.counts.updated,
        unchanged: applied.counts.unchanged,
        skipped: out.skipped + applied.counts.skipped,
        skippedItems: applied.skippedItems,
      };
      await appendAudit(tx, {
        ...actor,
        action: 'gb.catalog',
        targetKind: 'source',
        targetId: source.id,
        result: 'ok',
        reason: 'notify',
        detail: { deviceId: session.deviceId, sn: page.sn, events, ...summaryDetail(summary) },
      });
      return { ids: [...changedIds], summary };
    });
    this.#log.info({ deviceId: session.deviceId, ...summaryDetail(summary) }, 'gb catalogue event applied');
    if (ids.length > 0) await this.#d.onCamerasChanged(source.id, ids);
  }

  async #sync(deviceId: string, actor: Actor): Promise<CatalogSummary> {
    const session = this.#d.signalling.online(deviceId);
    if (!session) throw new AppError('conflict:state', 'the GB device is not registered (offline)');
    const source = await this.#d.store.sourceById(this.#d.store.db, session.sourceId);
    if (!source) throw new AppError('not_found:source', 'the GB device’s source system is gone');
    const sn = this.#d.signalling.nextSn();
    const collector = new gb.CatalogCollector(deviceId, sn);
    const key = `${deviceId}|${sn}`;
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((r) => {
      wake = r;
    });
    const pending: Pending = { collector, lastPageAt: Date.now(), wake };
    this.#pending.set(key, pending);
    const stallMs = this.#d.stallMs ?? 3000;
    const maxMs = this.#d.maxMs ?? 60_000;
    const started = Date.now();
    try {
      const status = await this.#d.signalling.message(deviceId, { kind: 'catalog_query', sn, deviceId });
      if (status >= 300) {
        await this.#failed(source, actor, deviceId, sn, `refused:${status}`);
        throw new AppError('unavailable:dependency', `the GB device refused the catalogue query (${status})`);
      }
      pending.lastPageAt = Date.now();
      while (!collector.complete) {
        const now = Date.now();
        const left = Math.min(pending.lastPageAt + stallMs - now, started + maxMs - now);
        if (left <= 0) break;
        await Promise.race([woken, delay(left)]);
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      await this.#failed(source, actor, deviceId, sn, 'no_answer');
      throw new AppError('unavailable:dependency', 'the GB device did not answer the catalogue query', {
        cause: err,
      });
    } finally {
      this.#pending.delete(key);
    }
    if (collector.pages === 0) {
      await this.#failed(source, actor, deviceId, sn, 'no_pages');
      throw new AppError('unavailable:dependency', 'the GB device sent no catalogue');
    }
    const items = collector.items();
    const base = {
      sn,
      sumNum: collector.sumNum ?? null,
      received: collector.received,
      pages: collector.pages,
      complete: collector.complete,
    };
    const entry = (summary: CatalogSummary): AuditEntryInput => ({
      ...actor,
      action: 'gb.catalog',
      targetKind: 'source',
      targetId: source.id,
      result: 'ok',
      reason: summary.complete ? 'synced' : 'synced_partial',
      detail: { deviceId, ...summaryDetail(summary) },
    });
    const markSynced = (db: Queryable) =>
      db.query(
        'UPDATE gb_devices SET catalog_synced_at = now(), catalog_items = $2, updated_at = now() WHERE device_id = $1',
        [deviceId, collector.received],
      );
    // A catalogue that changes nothing (the usual re-registration) commits only its audit entry,
    // group-committed: a storm of registering devices does not queue one transaction each.
    const preview = planItems(
      source,
      items,
      await loadExisting(this.#d.store.db, source.id, false),
      session.online,
    );
    if (preview.inserts.length === 0 && preview.updates.length === 0) {
      const summary: CatalogSummary = {
        ...base,
        ...emptyResult(),
        ...preview.counts,
        skippedItems: preview.skippedItems,
      };
      await markSynced(this.#d.store.db);
      await this.#d.audit(entry(summary));
      this.#log.info({ deviceId, ...summaryDetail(summary) }, 'gb catalogue synced');
      return summary;
    }
    const { summary, changedIds } = await this.#d.store.db.transaction(async (tx) => {
      const plan = planItems(source, items, await loadExisting(tx, source.id, true), session.online);
      const changedIds = await writePlan(tx, source, plan);
      const summary: CatalogSummary = {
        ...base,
        ...emptyResult(),
        ...plan.counts,
        skippedItems: plan.skippedItems,
      };
      await markSynced(tx);
      await appendAudit(tx, entry(summary));
      return { summary, changedIds };
    });
    this.#log.info({ deviceId, ...summaryDetail(summary) }, 'gb catalogue synced');
    if (changedIds.length > 0) await this.#d.onCamerasChanged(source.id, changedIds);
    return summary;
  }

  async #failed(source: GbSource, actor: Actor, deviceId: string, sn: number, reason: string): Promise<void> {
    this.#log.warn({ deviceId, sn, reason }, 'gb catalogue query failed');
    await this.#d
      .audit({
        ...actor,
        action: 'gb.catalog',
        targetKind: 'source',
        targetId: source.id,
        result: 'error',
        reason,
        detail: { deviceId, sn },
      })
      .catch((err: unknown) => this.#log.error({ err }, 'gb catalogue failure not audited'));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function emptyResult() {
  return { added: 0, updated: 0, unchanged: 0, removed: 0, statusChanged: 0, skipped: 0 };
}

function summaryDetail(s: Partial<CatalogSummary>): Record<string, unknown> {
  const { skippedItems, ...rest } = s;
  return skippedItems && skippedItems.length > 0 ? { ...rest, skippedItems } : rest;
}

async function loadExisting(
  tx: Queryable,
  sourceId: string,
  lock: boolean,
): Promise<Map<string, ExistingRow>> {
  const { rows } = await tx.query<ExistingRow>(
    `SELECT id, external_id, name, address, lon, lat, district_code, grade, state, source_status, online
       FROM cameras WHERE source_id = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [sourceId],
  );
  return new Map(rows.map((r) => [r.external_id, r]));
}

interface Plan {
  inserts: (ChannelFacts & { online: boolean })[];
  updates: (ChannelFacts & { id: string; online: boolean })[];
  counts: ReturnType<typeof emptyResult>;
  skippedItems: CatalogSummary['skippedItems'];
}

/**
 * What filing catalogue items changes: new channels to insert, filed ones whose device facts
 * changed to update (pure over the existing rows).
 */
function planItems(
  source: GbSource,
  items: readonly gb.CatalogItem[],
  existing: Map<string, ExistingRow>,
  deviceOnline: boolean,
): Plan {
  const counts = emptyResult();
  const skippedItems: CatalogSummary['skippedItems'] = [];
  const skip = (id: string, reason: SkipReason | 'removed') => {
    counts.skipped++;
    if (skippedItems.length < MAX_SKIPPED_LISTED) skippedItems.push({ id: id.slice(0, 64), reason });
  };
  const inserts: Plan['inserts'] = [];
  const updates: Plan['updates'] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.deviceId)) continue;
    seen.add(item.deviceId);
    const v = classifyItem(item, source.settings.defaultGrade);
    if (v.kind === 'skip') {
      // Regions and groups are the catalogue's structure, not problems: counted, not listed.
      if (v.reason === 'region' || v.reason === 'not_a_channel') counts.skipped++;
      else skip(item.deviceId, v.reason);
      continue;
    }
    const c = v.channel;
    const row = existing.get(c.externalId);
    if (!row) {
      inserts.push({ ...c, online: deviceOnline && (c.sourceStatus ?? 'ON') === 'ON' });
      continue;
    }
    if (row.state === 'removed') {
      skip(c.externalId, 'removed');
      continue;
    }
    const status = c.sourceStatus ?? (row.source_status as ChannelFacts['sourceStatus']);
    const next = {
      ...c,
      id: row.id,
      grade: Math.max(row.grade, c.grade) as ChannelFacts['grade'],
      sourceStatus: status,
      online: deviceOnline && (status ?? 'ON') === 'ON',
    };
    const same =
      row.name === next.name &&
      row.address === next.address &&
      row.lon === next.lon &&
      row.lat === next.lat &&
      row.district_code === next.districtCode &&
      row.grade === next.grade &&
      row.source_status === next.sourceStatus &&
      row.online === next.online;
    if (same) counts.unchanged++;
    else updates.push(next);
  }
  counts.added = inserts.length;
  counts.updated = updates.length;
  return { inserts, updates, counts, skippedItems };
}

/** Writes a plan; returns the ids of the cameras it changed (for cache invalidation). */
async function writePlan(tx: Queryable, source: GbSource, plan: Plan): Promise<string[]> {
  const { inserts, updates, counts } = plan;
  const changedIds: string[] = [];
  if (inserts.length > 0) {
    const initialState = source.settings.trusted ? 'accepted' : 'registered';
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO cameras (source_id, external_id, name, address, lon, lat, district_code, site_category,
                            location_kind, grade, state, profiles, online, source_status, status_changed_at)
       SELECT $2, r.external_id, r.name, r.address, r.lon, r.lat, r.district_code, $3, $4, r.grade, $5,
              '{"main": {}, "sub": {}}'::jsonb, r.online, r.source_status, now()
         FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, name text, address text, lon float8,
              lat float8, district_code text, grade smallint, online boolean, source_status text)
       ON CONFLICT (source_id, external_id) DO NOTHING
       RETURNING id`,
      [
        JSON.stringify(
          inserts.map((c) => ({
            external_id: c.externalId,
            name: c.name,
            address: c.address,
            lon: c.lon,
            lat: c.lat,
            district_code: c.districtCode,
            grade: c.grade,
            online: c.online,
            source_status: c.sourceStatus,
          })),
        ),
        source.id,
        source.settings.siteCategory,
        source.settings.locationKind,
        initialState,
      ],
    );
    counts.added = rows.length;
    changedIds.push(...rows.map((r) => r.id));
  }
  if (updates.length > 0) {
    await tx.query(
      `UPDATE cameras c SET name = v.name, address = v.address, lon = v.lon, lat = v.lat,
              district_code = v.district_code, grade = v.grade, source_status = v.source_status,
              status_changed_at = CASE WHEN c.online IS DISTINCT FROM v.online THEN now() ELSE c.status_changed_at END,
              online = v.online, updated_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, name text, address text, lon float8, lat float8,
              district_code text, grade smallint, source_status text, online boolean)
        WHERE c.id = v.id`,
      [
        JSON.stringify(
          updates.map((u) => ({
            id: u.id,
            name: u.name,
            address: u.address,
            lon: u.lon,
            lat: u.lat,
            district_code: u.districtCode,
            grade: u.grade,
            source_status: u.sourceStatus,
            online: u.online,
          })),
        ),
      ],
    );
    counts.updated = updates.length;
    changedIds.push(...updates.map((u) => u.id));
  }
  return changedIds;
}
