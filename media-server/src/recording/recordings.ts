import {
  type NodeRecordingVolume,
  type RecordingGapReason,
  recordingPlanEntrySchema,
  recordingPlanRequestSchema,
  type StorageStop,
} from '@wall/protocol';
import type { z } from 'zod';
import { AppError } from '../lib/app-error.ts';
import type { Logger } from '../lib/logger.ts';
import type { RecordingEventLog, RecordingEventSink } from './events.ts';
import { CameraRecorder, type RecorderHost, type RecorderIngests, type RecorderStatus } from './recorder.ts';
import type { RecordingStorage } from './storage.ts';

/**
 * A plan entry as the media node takes it (the protocol's): camera, profile, priority and the
 * ingest source, as in ensure-ingest — the node needs it to start the ingest without a viewer.
 */
export const nodeRecordingPlanEntrySchema = recordingPlanEntrySchema;
export type NodeRecordingPlanEntry = z.infer<typeof nodeRecordingPlanEntrySchema>;
export { recordingPlanRequestSchema };

export interface RecordingsOptions {
  nodeId: string;
  segmentMs: number;
  /** Below this many free bytes recording stops, lowest priority first; it resumes above twice it. */
  minFreeBytes: number;
  ingests: RecorderIngests;
  storage: RecordingStorage;
  /** The events' stream; `lastEnds` tells where each camera's recording ended before a restart. */
  events: RecordingEventSink & Pick<RecordingEventLog, 'lastEnds'>;
  logger: Logger;
  /** How often sources are checked for loss and storage for space (ms). Default 500. */
  tickMs?: number;
  /** How often the volume is measured for the node's report (ms). Default 2000. */
  measureMs?: number;
  /** A recorder was stopped for lack of space or resumed (the node tells the gateways at once). */
  onStopsChanged?: () => void;
  now?: () => number;
}

/**
 * The camera profiles this node records (the plan the control API sets), their recorders, and the
 * storage's admission: before each write, when free space is below the minimum, the
 * lowest-priority recorder still writing is suspended (a `storage_full` gap), one per write; all
 * suspended ones resume once free space is back above twice the minimum. Nothing here deletes.
 */
export class Recordings {
  readonly #o: RecordingsOptions;
  readonly #log: Logger;
  readonly #recorders = new Map<string, CameraRecorder>();
  /** Where recordings removed from the plan ended: a re-added one starts with a `recording_stopped` gap. */
  readonly #stoppedAt = new Map<string, number>();
  readonly #host: RecorderHost;
  readonly #tick: NodeJS.Timeout;
  #restartEnds: Promise<Map<string, number>> | undefined;
  /** Recorders stopped for lack of space, by `cameraId:profile`. */
  readonly #stops = new Map<string, StorageStop>();
  #space: { totalBytes: number; freeBytes: number; at: number } | undefined;
  #measuring = false;
  #checkingSpace = false;
  #applying: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(o: RecordingsOptions) {
    this.#o = o;
    this.#log = o.logger;
    const now = o.now ?? Date.now;
    this.#host = {
      nodeId: o.nodeId,
      segmentMs: o.segmentMs,
      ingests: o.ingests,
      storage: o.storage,
      events: o.events,
      logger: o.logger,
      now,
      admit: (r) => this.#admit(r),
    };
    this.#tick = setInterval(() => this.#onTick(), o.tickMs ?? 500);
    this.#tick.unref();
  }

  /**
   * The recording volume as last measured (the same free figure the stops use) and the recorders
   * stopped for lack of space; undefined before the first measurement.
   */
  volume(): NodeRecordingVolume | undefined {
    if (!this.#space) return undefined;
    return {
      totalBytes: this.#space.totalBytes,
      freeBytes: this.#space.freeBytes,
      minFreeBytes: this.#o.minFreeBytes,
      measuredAt: this.#space.at,
      stopped: [...this.#stops.values()].sort((a, b) => a.priority - b.priority || a.since - b.since),
    };
  }

  /** Measures the volume (statfs through the storage) and keeps the figure for `volume()`. */
  async #measure(): Promise<{ totalBytes: number; freeBytes: number }> {
    const space = await this.#o.storage.statfs();
    this.#space = { ...space, at: (this.#o.now ?? Date.now)() };
    return space;
  }

  list(): RecorderStatus[] {
    return [...this.#recorders.values()].map((r) => r.status());
  }

  /** Replaces the plan: starts new entries, stops those left out, updates priorities and sources. */
  setPlan(plan: NodeRecordingPlanEntry[]): Promise<RecorderStatus[]> {
    const seen = new Set<string>();
    for (const e of plan) {
      const key = `${e.cameraId}:${e.profile}`;
      if (seen.has(key)) throw new AppError('conflict:duplicate', `the plan names ${key} twice`);
      seen.add(key);
    }
    const run = this.#applying.then(() => this.#apply(plan));
    this.#applying = run.catch(() => undefined);
    return run;
  }

  async #apply(plan: NodeRecordingPlanEntry[]): Promise<RecorderStatus[]> {
    if (this.#closed) throw new AppError('unavailable:dependency', 'the media node is stopping');
    this.#restartEnds ??= this.#o.events.lastEnds(this.#o.nodeId).catch((err: unknown) => {
      this.#log.error({ err }, 'recording: last events not readable; restart gaps unknown');
      return new Map<string, number>();
    });
    const restartEnds = await this.#restartEnds;
    const wanted = new Map(plan.map((e) => [`${e.cameraId}:${e.profile}`, e]));
    const stopping: Promise<void>[] = [];
    for (const [key, r] of this.#recorders) {
      const e = wanted.get(key);
      if (e && JSON.stringify(e.source) === JSON.stringify(r.source)) continue;
      this.#recorders.delete(key);
      stopping.push(
        r.stop().then((end) => {
          if (end !== undefined) this.#stoppedAt.set(key, end);
        }),
      );
    }
    await Promise.all(stopping);
    for (const [key, e] of wanted) {
      const existing = this.#recorders.get(key);
      if (existing) {
        existing.setPriority(e.priority);
        continue;
      }
      let previous: { endMs: number; reason: RecordingGapReason } | undefined;
      const stoppedAt = this.#stoppedAt.get(key);
      const restartEnd = restartEnds.get(key);
      if (stoppedAt !== undefined) previous = { endMs: stoppedAt, reason: 'recording_stopped' };
      else if (restartEnd !== undefined) previous = { endMs: restartEnd, reason: 'node_restart' };
      restartEnds.delete(key); // only the first recorder after the restart starts with that gap
      const r = new CameraRecorder(e, this.#host, previous);
      this.#recorders.set(key, r);
      r.start();
      this.#log.info({ cameraId: e.cameraId, profile: e.profile, priority: e.priority }, 'recording started');
    }
    return this.list();
  }

  async #admit(r: CameraRecorder): Promise<boolean> {
    if (!r.active) return false;
    const { freeBytes } = await this.#measure();
    if (freeBytes >= this.#o.minFreeBytes) return true;
    // Lowest priority first; among equals, the one added last.
    let victim: CameraRecorder | undefined;
    for (const c of this.#recorders.values()) {
      if (c.active && (!victim || c.priority <= victim.priority)) victim = c;
    }
    victim ??= r;
    this.#log.warn(
      { freeBytes, minFreeBytes: this.#o.minFreeBytes, cameraId: victim.cameraId, priority: victim.priority },
      'storage low: recording stopped for the lowest priority',
    );
    victim.suspend('storage_full');
    this.#stops.set(`${victim.cameraId}:${victim.profile}`, {
      cameraId: victim.cameraId,
      profile: victim.profile,
      priority: victim.priority,
      since: (this.#o.now ?? Date.now)(),
    });
    this.#o.onStopsChanged?.();
    return victim !== r && r.active;
  }

  #onTick(): void {
    const now = (this.#o.now ?? Date.now)();
    if (!this.#measuring && (!this.#space || now - this.#space.at >= (this.#o.measureMs ?? 2000))) {
      this.#measuring = true;
      this.#measure()
        .catch((err: unknown) => this.#log.error({ err }, 'recording: statfs failed'))
        .finally(() => {
          this.#measuring = false;
        });
    }
    let suspended = false;
    for (const r of this.#recorders.values()) {
      r.tick(now);
      if (r.state === 'storage_full') suspended = true;
    }
    // A stop whose recorder left the plan is over.
    let changed = false;
    for (const key of this.#stops.keys()) {
      if (this.#recorders.get(key)?.state !== 'storage_full') changed = this.#stops.delete(key) || changed;
    }
    if (changed) this.#o.onStopsChanged?.();
    if (suspended && !this.#checkingSpace) {
      this.#checkingSpace = true;
      this.#measure()
        .then(({ freeBytes }) => {
          if (freeBytes < 2 * this.#o.minFreeBytes) return;
          const waiting = [...this.#recorders.values()].filter((r) => r.state === 'storage_full');
          waiting.sort((a, b) => b.priority - a.priority);
          for (const r of waiting) {
            r.resume();
            this.#stops.delete(`${r.cameraId}:${r.profile}`);
          }
          if (waiting.length > 0) this.#o.onStopsChanged?.();
        })
        .catch((err: unknown) => this.#log.error({ err }, 'recording: statfs failed'))
        .finally(() => {
          this.#checkingSpace = false;
        });
    }
  }

  /** Stops every recorder (open segments are written) and lets go of the ingests. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#tick);
    await this.#applying;
    await Promise.all([...this.#recorders.values()].map((r) => r.stop()));
    this.#recorders.clear();
  }
}
