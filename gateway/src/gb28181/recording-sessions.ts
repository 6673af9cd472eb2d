import type { MediaNodeInfo, StreamProfile } from '@wall/protocol';
import type { Logger } from '../lib/logger.ts';

/** One GB channel profile the recording plan wants recorded on a node. */
export interface PlannedGbRecording {
  cameraId: string;
  profile: StreamProfile;
  node: MediaNodeInfo;
  controlSecret: string;
}

export interface GbRecordingSessionsOptions {
  /**
   * The live path's single-flight ensure (`GbStreams.ensure`): the node ingests the channel and,
   * when it still waits for media and no recent dialog feeds it, the device is INVITEd.
   */
  ensure(planned: PlannedGbRecording): Promise<void>;
  logger: Logger;
  /** Ms between checks of a healthy session (default 3 s). */
  checkMs?: number;
  /** First and largest wait after a failed attempt (ms; doubled per failure; defaults 1 s, 15 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

interface Kept {
  planned: PlannedGbRecording;
  failures: number;
  nextAt: number;
  running: boolean;
}

/**
 * Keeps one media session (INVITE) open per planned GB channel profile while nobody watches, so the
 * media node records it continuously. The session is the live path's own (`GbStreams`, one dialog
 * per camera profile): a viewer joining finds the node already receiving and sends no second
 * INVITE. Every `checkMs` each planned channel is ensured again — a stream that dropped (the node
 * awaits media again) or a device that came back is INVITEd anew; a failed attempt (device offline,
 * no answer) waits 1 s, 2 s, 4 s … up to `maxBackoffMs` before the next, and a device that
 * registers again is tried at once. A channel left out of the plan is no longer kept: the node's
 * recorder lets go of the ingest, which idles out unless a viewer watches, and the node's `stopped`
 * status makes `GbStreams` send the BYE.
 */
export class GbRecordingSessions {
  readonly #o: GbRecordingSessionsOptions;
  readonly #kept = new Map<string, Kept>();
  readonly #checkMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: GbRecordingSessionsOptions) {
    this.#o = o;
    this.#checkMs = o.checkMs ?? 3000;
  }

  /** The channel profiles kept now (key `cameraId:profile`). */
  keys(): string[] {
    return [...this.#kept.keys()];
  }

  /** Replaces the set of planned channel profiles; new ones are tried at once. */
  keep(planned: readonly PlannedGbRecording[]): void {
    if (this.#closed) return;
    const next = new Map(planned.map((p) => [`${p.cameraId}:${p.profile}`, p]));
    for (const [key, k] of this.#kept) {
      if (!next.has(key)) {
        this.#kept.delete(key);
        this.#o.logger.info(
          { cameraId: k.planned.cameraId, profile: k.planned.profile },
          'gb recording: left the plan',
        );
      }
    }
    const now = Date.now();
    for (const [key, p] of next) {
      const k = this.#kept.get(key);
      if (k) {
        if (k.planned.node.id !== p.node.id) k.nextAt = now; // moved to another node: at once
        k.planned = p;
      } else {
        this.#kept.set(key, { planned: p, failures: 0, nextAt: now, running: false });
      }
    }
    this.#arm();
    this.#tick();
  }

  /** A device registered (again): its channels waiting out a backoff are tried now. */
  retryNow(): void {
    const now = Date.now();
    for (const k of this.#kept.values()) if (k.failures > 0) k.nextAt = now;
    this.#tick();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#kept.clear();
  }

  #arm(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => this.#tick(), Math.min(1000, this.#checkMs));
    this.#timer.unref();
  }

  #tick(): void {
    const now = Date.now();
    for (const k of this.#kept.values()) {
      if (k.running || k.nextAt > now) continue;
      k.running = true;
      void this.#attempt(k);
    }
  }

  async #attempt(k: Kept): Promise<void> {
    const { cameraId, profile } = k.planned;
    try {
      await this.#o.ensure(k.planned);
      if (k.failures > 0) this.#o.logger.info({ cameraId, profile }, 'gb recording: session back');
      k.failures = 0;
      k.nextAt = Date.now() + this.#checkMs;
    } catch (err) {
      k.failures += 1;
      const wait = Math.min(
        this.#o.maxBackoffMs ?? 15_000,
        (this.#o.backoffMs ?? 1000) * 2 ** (k.failures - 1),
      );
      k.nextAt = Date.now() + wait;
      this.#o.logger.warn(
        { cameraId, profile, failures: k.failures, retryInMs: wait, err: (err as Error).message },
        'gb recording: no session, retrying',
      );
    } finally {
      k.running = false;
    }
  }
}
