import { channelsOf, type StreamRevocation, streamRevocationSchema } from '@wall/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.ts';
import type { IncidentFacts } from '../policy/index.ts';

/**
 * Tells every media node that streams lost their right (`CHANNELS.streamRevoke`): a session
 * signed out, an emergency grant ended, a user's rights changed, a camera left service. The nodes
 * close the matching consumers at once; one that missed the message still closes them when their
 * token expires unrefreshed. Publishing never throws: a failure is logged (the expiry still holds).
 */
export class StreamRevoker {
  readonly #redis: Redis;
  readonly #channel: string;
  readonly #log: Logger;

  constructor(redis: Redis, log: Logger) {
    this.#redis = redis;
    this.#channel = channelsOf(redis).streamRevoke;
    this.#log = log;
  }

  async revoke(r: StreamRevocation): Promise<void> {
    const msg = streamRevocationSchema.parse(r);
    try {
      await this.#redis.publish(this.#channel, JSON.stringify(msg));
    } catch (err) {
      this.#log.error({ err, scope: msg.scope, reason: msg.reason }, 'stream revocation not published');
    }
  }
}

export interface GrantWatchOptions {
  /** The open incidents as the policy sees them now (each `closedAt` the end of its grant). */
  incidents: () => Promise<IncidentFacts[]>;
  /** A grant ended by time: revoke its streams and drop cached decisions. */
  onGrantEnded: (incidentId: string) => Promise<void>;
  logger: Logger;
  /** Longest sleep between looks (a grant announced elsewhere is seen by `refresh()`). */
  maxSleepMs?: number;
}

/**
 * Ends emergency grants that run out by time — the set maximum, or a major incident not confirmed
 * in time — which no request announces: sleeps until the next end among the open incidents, then
 * tells `onGrantEnded` once per incident. `refresh()` after every incident change; `close()` stops.
 */
export class GrantWatch {
  readonly #o: GrantWatchOptions;
  readonly #ended = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #running: Promise<void> = Promise.resolve();

  constructor(o: GrantWatchOptions) {
    this.#o = o;
  }

  /** Looks again now (serialised with any look under way). */
  refresh(): Promise<void> {
    this.#running = this.#running.then(() => this.#look()).catch(() => undefined);
    return this.#running;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #look(): Promise<void> {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    let incidents: IncidentFacts[];
    try {
      incidents = await this.#o.incidents();
    } catch (err) {
      this.#o.logger.warn({ err }, 'grant watch: incidents not read; trying again');
      this.#schedule(5000);
      return;
    }
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const i of incidents) {
      if (i.level > 2 || !i.closedAt) continue;
      const end = i.closedAt.getTime();
      if (end <= now) {
        if (this.#ended.has(i.id)) continue;
        this.#ended.add(i.id);
        await this.#o.onGrantEnded(i.id).catch((err: unknown) => {
          this.#o.logger.error({ err, incidentId: i.id }, 'grant watch: ending a grant failed');
        });
      } else {
        this.#ended.delete(i.id);
        next = Math.min(next, end);
      }
    }
    const open = new Set(incidents.map((i) => i.id));
    for (const id of this.#ended) if (!open.has(id)) this.#ended.delete(id);
    this.#schedule(Math.max(0, next - Date.now()) + 50);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    const wait = Math.min(ms, this.#o.maxSleepMs ?? 60_000);
    this.#timer = setTimeout(() => void this.refresh(), wait);
    this.#timer.unref();
  }
}
