import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { AppError } from '../lib/app-error.ts';
import type { Logger } from '../lib/logger.ts';
import { MEDIA_CODECS } from './codecs.ts';

export interface WorkerPoolOptions {
  size: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  logger: Logger;
  /** One WebRtcServer per worker, on basePort + worker index (UDP and TCP). */
  webRtc?: { listenIp: string; announcedIp?: string; basePort: number };
  /** Delay before a dead worker is recreated. */
  respawnDelayMs?: number;
}

export interface PoolSlot {
  index: number;
  worker: types.Worker;
  router: types.Router;
  webRtcServer?: types.WebRtcServer;
}

export interface WorkerPoolEvents {
  /** A worker process died; its routers and everything on them are gone. */
  'worker:died': [index: number, pid: number];
  /** A replacement worker is up (after a death). */
  'worker:replaced': [slot: PoolSlot];
}

/**
 * A fixed pool of mediasoup workers, one router each. A dead worker is logged, replaced, and
 * announced, so the owners of what ran on it (ingests, viewers) can rebuild it.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #options: WorkerPoolOptions;
  readonly #slots: (PoolSlot | undefined)[];
  #closed = false;
  #next = 0;

  private constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
    this.#slots = new Array(options.size).fill(undefined);
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      await Promise.all(pool.#slots.map((_, i) => pool.#start(i)));
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Slots whose worker is running now (a slot is empty while its worker is being replaced). */
  get slots(): PoolSlot[] {
    return this.#slots.filter((s): s is PoolSlot => s !== undefined);
  }

  get size(): number {
    return this.#options.size;
  }

  /** Round-robin over live workers, or the live worker with the least weight when one is given. */
  pick(weight?: (slot: PoolSlot) => number): PoolSlot {
    const live = this.slots;
    if (live.length === 0)
      throw new AppError('unavailable:dependency', 'no mediasoup worker is running: try again');
    if (weight) {
      return live.reduce((best, s) => (weight(s) < weight(best) ? s : best));
    }
    const slot = live[this.#next % live.length] as PoolSlot;
    this.#next++;
    return slot;
  }

  /** The slot of a worker, if it is still running. */
  slotOf(index: number): PoolSlot | undefined {
    return this.#slots[index];
  }

  async #start(index: number): Promise<PoolSlot> {
    const { logger, rtcMinPort, rtcMaxPort, size } = this.#options;
    // Each worker gets its own share of the RTC port range.
    const span = Math.floor((rtcMaxPort - rtcMinPort + 1) / size);
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: rtcMinPort + index * span,
      rtcMaxPort: rtcMinPort + (index + 1) * span - 1,
      appData: { index },
    });
    const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    const slot: PoolSlot = { index, worker, router };
    const webRtc = this.#options.webRtc;
    if (webRtc) {
      const listen = { ip: webRtc.listenIp, announcedIp: webRtc.announcedIp, port: webRtc.basePort + index };
      slot.webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ...listen },
          { protocol: 'tcp', ...listen },
        ],
      });
    }
    this.#slots[index] = slot;
    logger.info({ index, pid: worker.pid }, 'mediasoup worker started');
    worker.on('died', (err) => {
      this.#slots[index] = undefined;
      logger.error({ index, pid: worker.pid, err: err.message }, 'mediasoup worker died');
      this.emit('worker:died', index, worker.pid);
      if (this.#closed) return;
      setTimeout(() => {
        if (this.#closed) return;
        this.#start(index)
          .then((s) => this.emit('worker:replaced', s))
          .catch((e: unknown) => logger.error({ index, err: e }, 'mediasoup worker could not be replaced'));
      }, this.#options.respawnDelayMs ?? 200);
    });
    return slot;
  }

  /** Asks each worker for its resource usage: a round trip that proves it is alive. */
  async probe(): Promise<{ index: number; pid: number; ok: boolean }[]> {
    return Promise.all(
      this.#slots.map(async (s, index) => {
        if (!s) return { index, pid: 0, ok: false };
        try {
          await s.worker.getResourceUsage();
          return { index, pid: s.worker.pid, ok: true };
        } catch {
          return { index, pid: s.worker.pid, ok: false };
        }
      }),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#slots) s?.worker.close();
    this.#slots.fill(undefined);
  }
}
