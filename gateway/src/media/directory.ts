import { type MediaNodeInfo, mediaNodeInfoSchema, streamStatusSchema } from '@wall/protocol';
import type { Redis } from 'ioredis';

/** A node whose heartbeat is older than this is not used. */
const STALE_MS = 15_000;

/**
 * The media nodes as they announce themselves in Redis (heartbeat with load) and the streams they
 * ingest. Placement: the node that already ingests the camera profile, else the least loaded.
 */
export class MediaDirectory {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async nodes(now = Date.now()): Promise<MediaNodeInfo[]> {
    const ids = await this.#redis.smembers('media:nodes');
    if (ids.length === 0) return [];
    const raws = await this.#redis.mget(...ids.map((id) => `media:node:${id}`));
    const out: MediaNodeInfo[] = [];
    for (const raw of raws) {
      if (!raw) continue;
      const n = mediaNodeInfoSchema.safeParse(JSON.parse(raw));
      if (n.success && now - n.data.heartbeatAt < STALE_MS) out.push(n.data);
    }
    return out;
  }

  async place(cameraId: string, profile: 'main' | 'sub'): Promise<MediaNodeInfo | undefined> {
    const nodes = await this.nodes();
    if (nodes.length === 0) return undefined;
    const raw = await this.#redis.hget('media:streams', `${cameraId}:${profile}`);
    if (raw) {
      const s = streamStatusSchema.safeParse(JSON.parse(raw));
      const current = s.success ? nodes.find((n) => n.id === s.data.node) : undefined;
      if (current) return current;
    }
    return nodes.reduce((best, n) => (n.load < best.load ? n : best));
  }
}
