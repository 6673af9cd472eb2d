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
    return this.#read(await this.#redis.smembers('media:nodes'), now);
  }

  async place(cameraId: string, profile: 'main' | 'sub'): Promise<MediaNodeInfo | undefined> {
    // One round trip for the node list and the stream's current node, one for the nodes.
    const replies = await this.#redis
      .pipeline()
      .smembers('media:nodes')
      .hget('media:streams', `${cameraId}:${profile}`)
      .exec();
    const [idsReply, streamReply] = replies ?? [];
    if (!idsReply || idsReply[0] || !streamReply || streamReply[0]) {
      throw (idsReply?.[0] ?? streamReply?.[0] ?? new Error('redis pipeline returned nothing')) as Error;
    }
    const nodes = await this.#read(idsReply[1] as string[], Date.now());
    if (nodes.length === 0) return undefined;
    const raw = streamReply[1] as string | null;
    if (raw) {
      const s = streamStatusSchema.safeParse(JSON.parse(raw));
      const current = s.success ? nodes.find((n) => n.id === s.data.node) : undefined;
      if (current) return current;
    }
    return nodes.reduce((best, n) => (n.load < best.load ? n : best));
  }

  async #read(ids: string[], now: number): Promise<MediaNodeInfo[]> {
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
}
