export interface RefusalLimits {
  /** Refusals from one address within `windowMs` that start a block. */
  max: number;
  windowMs: number;
  /** How long a blocked address is ignored. */
  blockMs: number;
  /** Most addresses tracked at once (default 10 000): beyond, the oldest is forgotten. */
  maxTracked?: number;
}

interface Entry {
  refusals: number;
  windowStart: number;
  /** 0 while counting; then the end of the block. */
  blockedUntil: number;
}

/**
 * Counts refused SIP requests per source address (ADR 0009): `max` refusals within a window of
 * `windowMs` (from the first) block the address for `blockMs` — the server then drops its requests
 * without an answer. Bounded memory (`maxTracked` addresses, oldest forgotten first). No timers:
 * the caller gives the time and calls `sweep()` now and then.
 */
export class RefusalBackoff {
  readonly #limits: Required<RefusalLimits>;
  readonly #entries = new Map<string, Entry>();

  constructor(limits: RefusalLimits) {
    this.#limits = { maxTracked: 10_000, ...limits };
  }

  /** Addresses counted or blocked now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether requests from `address` are to be dropped now. */
  blocked(address: string, now: number): boolean {
    const e = this.#entries.get(address);
    return e !== undefined && e.blockedUntil > now;
  }

  /**
   * Counts a refusal of a request from `address`. Returns the block it starts (once per block), or
   * undefined while the address stays under the limit — or is blocked already.
   */
  refused(address: string, now: number): { refusals: number; blockedForMs: number } | undefined {
    let e = this.#entries.get(address);
    if (e && e.blockedUntil > now) return undefined;
    // A new window unless one is counting (not after a block, not elapsed).
    if (!(e?.blockedUntil === 0 && now - e.windowStart < this.#limits.windowMs)) {
      this.#entries.delete(address);
      e = { refusals: 0, windowStart: now, blockedUntil: 0 };
      this.#entries.set(address, e);
      if (this.#entries.size > this.#limits.maxTracked) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
    }
    e.refusals++;
    if (e.refusals < this.#limits.max) return undefined;
    e.blockedUntil = now + this.#limits.blockMs;
    return { refusals: e.refusals, blockedForMs: this.#limits.blockMs };
  }

  /** Forgets addresses whose window and block are over. */
  sweep(now: number): void {
    for (const [address, e] of this.#entries) {
      const over =
        e.blockedUntil !== 0 ? e.blockedUntil <= now : now - e.windowStart >= this.#limits.windowMs;
      if (over) this.#entries.delete(address);
    }
  }
}
