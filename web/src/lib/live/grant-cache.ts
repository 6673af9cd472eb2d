import type { StreamProfile } from '@wall/protocol';
import type { GrantSource, LiveGrant } from './player';

/** A prefetched grant is used only while it has at least this long to live. */
export const MIN_REMAINING_MS = 8000;
/** Prefetched grants nobody took are forgotten after this long. */
export const KEEP_MS = 30_000;

/**
 * Stream tokens asked for ahead of time — the next camera of a tour a few seconds before its turn —
 * so the node has the stream ingested and its key frame ready when the tile switches. The tile
 * takes the prefetched grant instead of asking again; one request per view either way.
 */
export class GrantCache {
  readonly #source: GrantSource;
  readonly #entries = new Map<string, { grant: Promise<LiveGrant>; at: number }>();

  constructor(source: GrantSource) {
    this.#source = source;
  }

  prefetch(cameraId: string, profile: StreamProfile): void {
    const key = `${cameraId.toLowerCase()}/${profile}`;
    const now = Date.now();
    for (const [k, e] of this.#entries) if (now - e.at > KEEP_MS) this.#entries.delete(k);
    if (this.#entries.has(key)) return;
    const grant = this.#source.live(cameraId, profile);
    grant.catch(() => this.#entries.delete(key));
    this.#entries.set(key, { grant, at: now });
  }

  /** A grant for the camera: the prefetched one while it is fresh, else a new one. */
  async live(cameraId: string, profile: StreamProfile): Promise<LiveGrant> {
    const key = `${cameraId.toLowerCase()}/${profile}`;
    const e = this.#entries.get(key);
    this.#entries.delete(key);
    if (e && Date.now() - e.at < KEEP_MS) {
      const grant = await e.grant.catch(() => undefined);
      if (grant && Date.parse(grant.expiresAt) - Date.now() > MIN_REMAINING_MS) return grant;
    }
    return this.#source.live(cameraId, profile);
  }
}
