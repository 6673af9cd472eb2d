import { EventEmitter } from 'node:events';
import type { EnsureIngestRequest, StreamProfile, StreamStatus } from '@wall/protocol';
import { AppError } from '../lib/app-error.ts';
import type { Logger } from '../lib/logger.ts';
import type { WorkerPool } from '../workers/pool.ts';
import { Ingest } from './ingest.ts';
import { adapterOf, type SourceRegistry } from './source.ts';
import { defaultSources } from './sources.ts';

export interface IngestManagerOptions {
  pool: WorkerPool;
  logger: Logger;
  nodeId: string;
  idleTimeoutMs: number;
  relayHost?: string;
  /** Source adapters by kind (default: RTSP, and GB/T 28181 with its default ports and address). */
  sources?: SourceRegistry;
}

export interface IngestManagerEvents {
  status: [status: StreamStatus];
  'ingest:closed': [ingest: Ingest];
  'producer:replaced': [ingest: Ingest, previousProducerId: string | undefined];
  /** A GB/T 28181 stream needs a key frame (a viewer joined; at most one a second per stream). */
  'keyframe:request': [ingest: Ingest];
}

/**
 * Owns the ingests of this node: one per camera profile, started on demand, shared by every viewer,
 * stopped after an idle timeout once the last viewer left. Concurrent `ensure` calls for the same
 * camera profile wait for one start (single flight): two viewers never cause two ingests.
 */
export class IngestManager extends EventEmitter<IngestManagerEvents> {
  readonly #o: IngestManagerOptions;
  readonly #ingests = new Map<string, Ingest>();
  readonly #starting = new Map<string, Promise<Ingest>>();
  readonly #idle = new Map<string, NodeJS.Timeout>();
  readonly #sources: SourceRegistry;
  #closed = false;

  constructor(options: IngestManagerOptions) {
    super();
    this.#o = options;
    this.#sources = options.sources ?? defaultSources();
    options.pool.on('worker:died', (index) => void this.#onWorkerDied(index));
  }

  get(cameraId: string, profile: StreamProfile): Ingest | undefined {
    return this.#ingests.get(`${cameraId}:${profile}`);
  }

  list(): Ingest[] {
    return [...this.#ingests.values()];
  }

  /** Streams per worker index, for placement. */
  #weight(index: number): number {
    let n = 0;
    for (const i of this.#ingests.values()) if (i.slot?.index === index) n++;
    return n;
  }

  async ensure(req: EnsureIngestRequest): Promise<Ingest> {
    if (this.#closed) throw new AppError('unavailable:dependency', 'the media node is stopping');
    const adapter = adapterOf(this.#sources, req.source);
    adapter.check(req.source);
    const key = `${req.cameraId}:${req.profile}`;
    const existing = this.#ingests.get(key);
    if (existing?.adopt(req.source)) {
      if (existing.viewers === 0 && existing.holders === 0) this.#armIdle(existing);
      return existing;
    }
    if (existing) this.stop(req.cameraId, req.profile); // the source moved: start over
    const pending = this.#starting.get(key);
    if (pending) return pending;
    const start = (async () => {
      const ingest = new Ingest({
        cameraId: req.cameraId,
        profile: req.profile,
        createFeed: (ctx) => adapter.create(req.source, ctx),
        nodeId: this.#o.nodeId,
        pool: this.#o.pool,
        logger: this.#o.logger,
        relayHost: this.#o.relayHost ?? '127.0.0.1',
        workerWeight: (slot) => this.#weight(slot.index),
      });
      ingest.on('status', (s) => this.emit('status', s));
      ingest.on('producer:replaced', (prev) => this.emit('producer:replaced', ingest, prev));
      ingest.on('keyframe:request', () => this.emit('keyframe:request', ingest));
      try {
        await ingest.start();
      } catch (err) {
        ingest.close();
        throw err;
      }
      this.#ingests.set(key, ingest);
      this.#armIdle(ingest);
      return ingest;
    })();
    this.#starting.set(key, start);
    try {
      return await start;
    } finally {
      this.#starting.delete(key);
    }
  }

  /** A viewer started watching. */
  acquire(ingest: Ingest): void {
    ingest.viewers++;
    clearTimeout(this.#idle.get(ingest.key));
    this.#idle.delete(ingest.key);
    ingest.viewerJoined();
  }

  /** A viewer stopped watching; the last one arms the idle timeout. */
  release(ingest: Ingest): void {
    ingest.viewers = Math.max(0, ingest.viewers - 1);
    if (ingest.viewers === 0 && ingest.holders === 0) this.#armIdle(ingest);
  }

  /**
   * Something other than a viewer (a recorder) needs the ingest running: it does not idle out while
   * held. Not counted as a viewer.
   */
  hold(ingest: Ingest): void {
    ingest.holders++;
    clearTimeout(this.#idle.get(ingest.key));
    this.#idle.delete(ingest.key);
  }

  /** The holder let go; with no viewer left either, the idle timeout is armed. */
  unhold(ingest: Ingest): void {
    ingest.holders = Math.max(0, ingest.holders - 1);
    if (ingest.holders === 0 && ingest.viewers === 0 && this.#ingests.get(ingest.key) === ingest) {
      this.#armIdle(ingest);
    }
  }

  #armIdle(ingest: Ingest): void {
    clearTimeout(this.#idle.get(ingest.key));
    const timer = setTimeout(() => {
      if (ingest.viewers === 0 && ingest.holders === 0 && this.#ingests.get(ingest.key) === ingest) {
        this.#o.logger.info({ cameraId: ingest.cameraId, profile: ingest.profile }, 'idle: stopping ingest');
        this.stop(ingest.cameraId, ingest.profile);
      }
    }, this.#o.idleTimeoutMs);
    timer.unref();
    this.#idle.set(ingest.key, timer);
  }

  stop(cameraId: string, profile: StreamProfile): boolean {
    const key = `${cameraId}:${profile}`;
    const ingest = this.#ingests.get(key);
    if (!ingest) return false;
    this.#ingests.delete(key);
    clearTimeout(this.#idle.get(key));
    this.#idle.delete(key);
    ingest.close();
    this.emit('ingest:closed', ingest);
    return true;
  }

  async #onWorkerDied(index: number): Promise<void> {
    const affected = this.list().filter((i) => i.slot?.index === index);
    if (affected.length === 0) return;
    // Wait for a live worker (the pool replaces the dead one within moments).
    for (let i = 0; i < 100 && this.#o.pool.slots.length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    await Promise.all(
      affected.map((ingest) =>
        ingest
          .recover()
          .catch((err: unknown) =>
            this.#o.logger.error({ err, cameraId: ingest.cameraId }, 'recovery failed'),
          ),
      ),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const i of this.list()) this.stop(i.cameraId, i.profile);
  }
}
