import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export interface SessionOptions {
  /** A session unused for this long ends. */
  idleTimeoutS: number;
  /** A session ends this long after login, used or not. */
  absoluteTimeoutS: number;
}

const sessionSchema = z.object({
  userId: z.string(),
  csrf: z.string(),
  createdAt: z.number(),
  address: z.string(),
});
export type Session = z.infer<typeof sessionSchema> & { id: string };

const key = (id: string) => `sess:${id}`;
const userKey = (userId: string) => `sess:user:${userId}`;
const ID_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side sessions in Redis: the cookie holds only a random id. Idle timeout by key expiry
 * (refreshed on use), absolute timeout checked against the creation time; revocable one by one
 * or all of a user's at once.
 */
export class SessionStore {
  readonly #redis: Redis;
  readonly #o: SessionOptions;

  constructor(redis: Redis, options: SessionOptions) {
    this.#redis = redis;
    this.#o = options;
  }

  async create(userId: string, address: string): Promise<Session> {
    const id = randomBytes(32).toString('base64url');
    const s = { userId, csrf: randomBytes(24).toString('base64url'), createdAt: Date.now(), address };
    await this.#redis
      .multi()
      .set(key(id), JSON.stringify(s), 'EX', this.#o.idleTimeoutS)
      .sadd(userKey(userId), id)
      .expire(userKey(userId), this.#o.absoluteTimeoutS)
      .exec();
    return { id, ...s };
  }

  /** The live session for an id, its idle timer restarted; undefined when unknown or expired. */
  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id || !ID_RE.test(id)) return undefined;
    // Read and restart the idle timer in one round trip; the absolute limit is checked after.
    const raw = await this.#redis.getex(key(id), 'EX', this.#o.idleTimeoutS);
    if (!raw) return undefined;
    const parsed = sessionSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return undefined;
    const age = (Date.now() - parsed.data.createdAt) / 1000;
    if (age >= this.#o.absoluteTimeoutS) {
      await this.revoke(id, parsed.data.userId);
      return undefined;
    }
    const left = Math.ceil(this.#o.absoluteTimeoutS - age);
    // Near the absolute end the key must not outlive it (the check above catches it anyway).
    if (left < this.#o.idleTimeoutS) await this.#redis.expire(key(id), left);
    return { id, ...parsed.data };
  }

  async revoke(id: string, userId?: string): Promise<void> {
    const m = this.#redis.multi().del(key(id));
    if (userId) m.srem(userKey(userId), id);
    await m.exec();
  }

  /** Ends every session of a user (password change, account disabled). */
  async revokeUser(userId: string): Promise<number> {
    const ids = await this.#redis.smembers(userKey(userId));
    if (ids.length === 0) return 0;
    await this.#redis
      .multi()
      .del(...ids.map(key))
      .del(userKey(userId))
      .exec();
    return ids.length;
  }
}
