import { type MediaNodeInfo, mediaNodeInfoSchema, streamStatusSchema } from '@wall/protocol';
import type { Redis } from 'ioredis';

/** A node whose heartbeat is older than this is not used. */
const STALE_MS = 15_000;

// The keys a node writes: `media:nodes` (set of ids), `media:node:<id>` (its record, JSON) and the
// hash `media:streams` (`<camera>:<profile>` → stream status). Reads them in one step; a single
// Redis is assumed (the keys are not declared, so this does not run on Redis Cluster).
const PLACE_SCRIPT = `
local ids = redis.call('SMEMBERS', 'media:nodes')
local records = {}
for i, id in ipairs(ids) do records[i] = redis.call('GET', 'media:node:' .. id) end
return { redis.call('HGET', 'media:streams', ARGV[1]), records }`;

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
    // One round trip: the stream's current node, and every registered node's record.
    const reply = (await this.#redis.eval(PLACE_SCRIPT, 0, `${cameraId}:${profile}`)) as [
      string | null,
      (string | null)[],
    ];
    const [raw, records] = reply;
    const nodes = this.#parse(records ?? [], Date.now());
    if (nodes.length === 0) return undefined;
    if (raw) {
      const s = streamStatusSchema.safeParse(JSON.parse(raw));
      const current = s.success ? nodes.find((n) => n.id === s.data.node) : undefined;
      if (current) return current;
    }
    return nodes.reduce((best, n) => (n.load < best.load ? n : best));
  }

  async #read(ids: string[], now: number): Promise<MediaNodeInfo[]> {
    if (ids.length === 0) return [];
    return this.#parse(await this.#redis.mget(...ids.map((id) => `media:node:${id}`)), now);
  }

  #parse(raws: (string | null)[], now: number): MediaNodeInfo[] {
    const out: MediaNodeInfo[] = [];
    for (const raw of raws) {
      if (!raw) continue;
      const n = mediaNodeInfoSchema.safeParse(JSON.parse(raw));
      if (n.success && now - n.data.heartbeatAt < STALE_MS) out.push(n.data);
    }
    return out;
  }
}
