import type { MediaNodeInfo, RecordingPlanEntry, StreamProfile } from '@wall/protocol';
import { type CameraRecord, loadCameras } from '../cameras/facts.ts';
import type { Queryable } from '../db/index.ts';
import type { Logger } from '../lib/logger.ts';
import type { MediaDirectory } from '../media/directory.ts';
import type { PlannedRecording, SourceRegistry } from '../sources/index.ts';

/**
 * Which cameras are recorded continuously: `in_service` — every in-service camera whose source kind
 * gives a recording source (R-REC-1's default); `simulated` — only those of simulated sources
 * (`connection.simulated`: the demo, whose other cameras have no video behind them) and the accepted
 * or in-service channels of the demo's simulated GB/T 28181 platform (`simulatedGbDevice`);
 * `time_strip` — only those of sources whose simulator burns the wall-clock into the picture
 * (`connection.timeStrip`: the browser tests of playback, few cameras on a small machine);
 * `none` — nothing is planned (the media nodes keep no plan from this gateway).
 */
export type RecordingPlanMode = 'none' | 'simulated' | 'time_strip' | 'in_service';

export interface RecordingPlannerOptions {
  db: Queryable;
  directory: MediaDirectory;
  sources: SourceRegistry;
  controlSecret: string;
  mode: RecordingPlanMode;
  /** The demo's simulated GB platform (DEMO_GB_DEVICE_ID): `simulated` records its channels too. */
  simulatedGbDevice?: string;
  profile: StreamProfile;
  logger: Logger;
  /** Ms between reconciliations (plans are also pushed after every change announced to it). */
  intervalMs: number;
}

/**
 * Tells the media nodes what to record: computes the plan (the cameras of `mode`), places each
 * camera on the node that ingests it (else the least loaded, as live does) and puts each node's
 * whole plan on its control API (`PUT /control/recordings`); kinds that need the gateway to keep a
 * stream flowing (GB: an INVITE per channel) are handed their planned cameras after each pass. Idempotent: every gateway may run it;
 * the same database gives the same plans. A node that cannot be reached is tried again at the next
 * pass. `reconcile()` runs one pass now; `start()` repeats it; `close()` stops.
 */
export class RecordingPlanner {
  readonly #o: RecordingPlannerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(o: RecordingPlannerOptions) {
    this.#o = o;
  }

  /** True once `start()` ran with a plan to keep (mode other than `none`). */
  get started(): boolean {
    return this.#started;
  }
  #started = false;
  #lastPassHadNode = false;

  start(): void {
    if (this.#o.mode === 'none' || this.#started || this.#closed) return;
    this.#started = true;
    const tick = () => {
      void this.reconcile().finally(() => {
        // No media node yet (the gateway starts first): look again soon rather than at the interval.
        const wait = this.#lastPassHadNode ? this.#o.intervalMs : Math.min(5000, this.#o.intervalMs);
        if (!this.#closed) this.#timer = setTimeout(tick, wait).unref();
      });
    };
    tick();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /** One pass (concurrent calls share it). */
  reconcile(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<void> {
    if (this.#o.mode === 'none') return;
    const log = this.#o.logger;
    try {
      const cameras = await this.#cameras();
      const perNode = new Map<string, { node: MediaNodeInfo; plan: RecordingPlanEntry[] }>();
      const perKind = new Map<string, PlannedRecording[]>();
      for (const camera of cameras) {
        const adapter = this.#o.sources.get(camera.sourceKind);
        const source = adapter.recordingSource?.(camera, this.#o.profile);
        if (!source) continue;
        const node = await this.#o.directory.place(camera.facts.id, this.#o.profile);
        if (!node) {
          log.warn({ cameraId: camera.facts.id }, 'recording plan: no media node available');
          continue;
        }
        const entry = perNode.get(node.id) ?? { node, plan: [] };
        entry.plan.push({ cameraId: camera.facts.id, profile: this.#o.profile, priority: 50, source });
        perNode.set(node.id, entry);
        const planned = perKind.get(camera.sourceKind) ?? [];
        planned.push({ camera, profile: this.#o.profile, node, controlSecret: this.#o.controlSecret });
        perKind.set(camera.sourceKind, planned);
      }
      // Nodes with nothing to record are told so, too (a camera left service, or moved).
      const nodes = await this.#o.directory.nodes();
      this.#lastPassHadNode = nodes.length > 0;
      for (const node of nodes) {
        if (!perNode.has(node.id)) perNode.set(node.id, { node, plan: [] });
      }
      await Promise.all([...perNode.values()].map(({ node, plan }) => this.#push(node, plan)));
      // Kinds whose streams the gateway keeps flowing (GB INVITEs) get their whole planned set.
      for (const adapter of this.#o.sources.all()) {
        adapter.recordingSessions?.keep(perKind.get(adapter.kind) ?? []);
      }
    } catch (err) {
      log.error({ err }, 'recording plan: pass failed; trying again at the next one');
    }
  }

  async #cameras(): Promise<CameraRecord[]> {
    const ids = await plannedCameraIds(this.#o.db, this.#o.mode, this.#o.simulatedGbDevice);
    return [...(await loadCameras(this.#o.db, ids)).values()];
  }

  async #push(node: MediaNodeInfo, plan: RecordingPlanEntry[]): Promise<void> {
    try {
      const res = await fetch(`${node.controlUrl}/control/recordings`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.#o.controlSecret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ plan }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) {
        this.#o.logger.warn(
          { node: node.id, status: res.status },
          'recording plan refused by the media node',
        );
        return;
      }
      this.#o.logger.info({ node: node.id, cameras: plan.length }, 'recording plan pushed');
    } catch (err) {
      this.#o.logger.warn({ node: node.id, err: (err as Error).message }, 'recording plan not delivered');
    }
  }
}

/** The ids of the cameras `mode` records (before asking their kinds for a source), in id order. */
export async function plannedCameraIds(
  db: Queryable,
  mode: RecordingPlanMode,
  simulatedGbDevice?: string,
): Promise<string[]> {
  if (mode === 'none') return [];
  const { rows } = await db.query<{ id: string }>(
    `SELECT c.id FROM cameras c JOIN source_systems s ON s.id = c.source_id
      WHERE (c.state = 'in_service'
             AND ($1::boolean IS FALSE OR (s.connection ->> 'simulated') = 'true')
             AND ($3::boolean IS FALSE OR (s.connection ->> 'timeStrip') = 'true'))
         OR ($1::boolean AND $2::text IS NOT NULL AND s.kind = 'gb28181'
             AND s.connection ->> 'deviceId' = $2::text AND c.state IN ('accepted', 'in_service'))
      ORDER BY c.id`,
    [mode === 'simulated', simulatedGbDevice ?? null, mode === 'time_strip'],
  );
  return rows.map((r) => r.id);
}
