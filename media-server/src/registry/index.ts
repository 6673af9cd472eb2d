import {
  channelsOf,
  type keyFrameRequestSchema,
  type MediaNodeInfo,
  type StreamStatus,
} from '@wall/protocol';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { Logger } from '../lib/logger.ts';

export const NODES_KEY = 'media:nodes';
export const nodeKey = (id: string) => `media:node:${id}`;
export const STREAMS_KEY = 'media:streams';

const HEARTBEAT_MS = 5000;
const STATUS_MIN_INTERVAL_MS = 2000;

/**
 * Publishes this node (heartbeat with its load, so the gateway can place cameras) and the status
 * of its streams to Redis. Redis being away is logged, never fatal: publishing resumes with it.
 */
export class NodeRegistry {
  readonly #redis: Redis;
  readonly #channels: ReturnType<typeof channelsOf>;
  readonly #info: () => MediaNodeInfo;
  readonly #log: Logger;
  readonly #lastSent = new Map<string, { at: number; state: string }>();
  #timer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(redis: Redis, info: () => MediaNodeInfo, log: Logger) {
    this.#redis = redis;
    this.#channels = channelsOf(redis);
    this.#info = info;
    this.#log = log;
  }

  start(): void {
    this.#started = true;
    this.beat();
    this.#timer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** Writes the heartbeat now (also every 5 s once started); nothing before `start()` or after `stop()`. */
  beat(): void {
    if (!this.#started) return;
    const info = this.#info();
    this.#redis
      .multi()
      .set(nodeKey(info.id), JSON.stringify(info), 'PX', HEARTBEAT_MS * 3)
      .sadd(NODES_KEY, info.id)
      .exec()
      .catch((err: Error) => this.#log.warn({ err: err.message }, 'heartbeat not written'));
  }

  /** Stream status: immediately on a state change, else at most every 2 s per stream. */
  publishStatus(s: StreamStatus): void {
    const key = `${s.cameraId}:${s.profile}`;
    const last = this.#lastSent.get(key);
    const now = Date.now();
    if (last && last.state === s.state && now - last.at < STATUS_MIN_INTERVAL_MS) return;
    this.#lastSent.set(key, { at: now, state: s.state });
    const json = JSON.stringify(s);
    this.#redis
      .multi()
      .hset(STREAMS_KEY, key, json)
      .publish(this.#channels.streamStatus, json)
      .exec()
      .catch((err: Error) => this.#log.warn({ err: err.message }, 'stream status not published'));
  }

  /**
   * The stream ended on this node (idle timeout, stop, shutdown): its entry leaves `media:streams`
   * and its final status — state `offline`, reason `stopped` — goes out on `media:stream-status`,
   * so the gateway knows it ended on purpose (and, for GB/T 28181, sends BYE to the device).
   */
  streamStopped(final: StreamStatus): void {
    const key = `${final.cameraId}:${final.profile}`;
    this.#lastSent.delete(key);
    this.#redis
      .multi()
      .hdel(STREAMS_KEY, key)
      .publish(this.#channels.streamStatus, JSON.stringify(final))
      .exec()
      .catch((err: Error) => this.#log.warn({ err: err.message }, 'stream stop not published'));
  }

  /** Asks the gateway for a key frame of a GB/T 28181 stream (it sends IFameCmd to the device). */
  requestKeyFrame(req: z.infer<typeof keyFrameRequestSchema>): void {
    this.#redis
      .publish(this.#channels.keyframeRequest, JSON.stringify(req))
      .catch((err: Error) => this.#log.warn({ err: err.message }, 'key frame request not published'));
  }

  async stop(): Promise<void> {
    this.#started = false;
    clearInterval(this.#timer);
    const id = this.#info().id;
    await this.#redis
      .multi()
      .del(nodeKey(id))
      .srem(NODES_KEY, id)
      .exec()
      .catch(() => undefined);
  }
}
