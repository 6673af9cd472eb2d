import type { Redis } from 'ioredis';

export interface RateLimitRule {
  /** Attempts allowed in the window. */
  max: number;
  windowS: number;
}

/** One counter an attempt is counted against: its name (key) and its rule. */
export interface RateLimitCounter {
  name: string;
  rule: RateLimitRule;
}

export type TakeResult =
  | { limited: false }
  | {
      limited: true;
      /** Seconds until the longest of the full counters' windows ends (≥ 1). */
      retryAfterS: number;
      /** Indexes (into the counters given to `take`) of the counters that were full. */
      full: number[];
    };

// KEYS: the counters; ARGV: max and window (s) of each, in pairs. If any counter is already at its
// max, nothing is counted and the answer is { wait, full indexes… }; otherwise every counter goes
// up by one (a new one starts its window) and the answer is { 0 }. One script: atomic.
const TAKE = `
local wait = 0
local full = {}
for i = 1, #KEYS do
  local max = tonumber(ARGV[2 * i - 1])
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= max then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 1 then
      ttl = tonumber(ARGV[2 * i])
      redis.call('EXPIRE', KEYS[i], ttl)
    end
    if ttl > wait then wait = ttl end
    full[#full + 1] = i - 1
  end
end
if wait > 0 then
  table.insert(full, 1, wait)
  return full
end
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 or redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIRE', KEYS[i], tonumber(ARGV[2 * i]))
  end
end
return { 0 }
`;

// KEYS: counters to give one attempt back to (never below zero, never a counter that is gone).
const REFUND = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
`;

/**
 * Fixed-window counters in Redis (shared by every gateway instance). An attempt is counted before
 * the work it guards (`take`, atomic over all its counters), so concurrent attempts cannot all pass
 * a check made before any of them was counted; an attempt that turns out not to count (a sign-in
 * that succeeded) is given back with `refund`, or its counter cleared with `reset`.
 */
export class RateLimiter {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /**
   * Counts one attempt against every counter, or — when any of them is already full — against
   * none, and says so with the wait and which were full.
   */
  async take(counters: readonly RateLimitCounter[]): Promise<TakeResult> {
    const keys = counters.map((c) => `rl:${c.name}`);
    const args = counters.flatMap((c) => [String(c.rule.max), String(c.rule.windowS)]);
    const res = (await this.#redis.eval(TAKE, keys.length, ...keys, ...args)) as number[];
    const [wait = 0, ...full] = res.map(Number);
    return wait > 0 ? { limited: true, retryAfterS: wait, full } : { limited: false };
  }

  /** Gives one counted attempt back to each counter. */
  async refund(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.#redis.eval(REFUND, names.length, ...names.map((n) => `rl:${n}`));
  }

  async reset(name: string): Promise<void> {
    await this.#redis.del(`rl:${name}`);
  }
}
