import type { Redis } from 'ioredis';

export interface RateLimitRule {
  /** Attempts allowed in the window. */
  max: number;
  windowS: number;
}

/**
 * Fixed-window counters in Redis (shared by every gateway instance). `hit` counts an attempt and
 * says whether it is over the limit, with the seconds until the window ends.
 */
export class RateLimiter {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async check(name: string, rule: RateLimitRule): Promise<{ limited: boolean; retryAfterS: number }> {
    const k = `rl:${name}`;
    const [count, ttl] = await Promise.all([this.#redis.get(k), this.#redis.ttl(k)]);
    return { limited: Number(count ?? 0) >= rule.max, retryAfterS: Math.max(ttl, 1) };
  }

  async hit(name: string, rule: RateLimitRule): Promise<number> {
    const k = `rl:${name}`;
    const res = await this.#redis.multi().incr(k).expire(k, rule.windowS, 'NX').exec();
    return Number(res?.[0]?.[1] ?? 0);
  }

  async reset(name: string): Promise<void> {
    await this.#redis.del(`rl:${name}`);
  }
}
