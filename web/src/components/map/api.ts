import {
  type CameraItem,
  CSRF_HEADER,
  cameraItemSchema,
  cameraMapCompactSchema,
  cameraPageSchema,
  DISTRICTS,
  type DistrictCode,
  errorBodySchema,
  type Incident,
  incidentListSchema,
  MAP_CATEGORIES,
  MAP_STATES,
  type SessionInfo,
  type StreamProfile,
  sessionInfoSchema,
} from '@wall/protocol';
import { z } from 'zod';
import type { CameraMapData } from './types';

/** A refused or failed gateway call: the gateway's code (`forbidden:grade`…) or `http:<status>`. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const liveGrantSchema = z.object({
  token: z.string().min(1),
  nodeUrl: z.url(),
  expiresAt: z.string(),
  emergency: z.boolean(),
});
export type LiveGrant = z.infer<typeof liveGrantSchema>;

/**
 * The map's calls to the gateway, from the browser with the session cookie (`credentials:
 * 'include'`). Holds the CSRF token for writes and the camera files fetched so far; one per
 * {@link MapProvider}.
 */
export class MapClient {
  readonly gatewayUrl: string;
  #csrf: Promise<string> | undefined;
  readonly #items = new Map<string, Promise<CameraItem>>();
  readonly #names = new Map<string, string>();
  readonly #nameListeners = new Set<() => void>();

  constructor(gatewayUrl: string) {
    this.gatewayUrl = gatewayUrl.replace(/\/+$/, '');
  }

  async #request<T>(path: string, schema: z.ZodType<T>, init: RequestInit = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.gatewayUrl}${path}`, { credentials: 'include', cache: 'no-store', ...init });
    } catch (err) {
      throw new GatewayError(0, 'network', err instanceof Error ? err.message : 'network error');
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const e = errorBodySchema.safeParse(body);
      if (e.success) throw new GatewayError(res.status, e.data.code, e.data.message);
      // Refusals by policy carry reasons the error-code enum may not list yet.
      const loose = z.object({ code: z.string(), message: z.string() }).safeParse(body);
      if (loose.success) throw new GatewayError(res.status, loose.data.code, loose.data.message);
      throw new GatewayError(res.status, `http:${res.status}`, `HTTP ${res.status}`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new GatewayError(res.status, 'client:protocol', 'unexpected answer from the gateway');
    return parsed.data;
  }

  /** `GET /api/me` (401 `unauthenticated` without a session). */
  async me(): Promise<SessionInfo> {
    const info = await this.#request('/api/me', sessionInfoSchema);
    this.#csrf = Promise.resolve(info.csrfToken);
    return info;
  }

  async #csrfToken(): Promise<string> {
    this.#csrf ??= this.me().then((i) => i.csrfToken);
    try {
      return await this.#csrf;
    } catch (err) {
      this.#csrf = undefined;
      throw err;
    }
  }

  /**
   * Every camera the user may see, as the compact map list. The list is asked per district (in
   * parallel), which is how each camera's district is known without its polygon test.
   */
  async cameraMap(signal?: AbortSignal): Promise<CameraMapData> {
    const parts = await Promise.all(
      DISTRICTS.map((d) =>
        this.#request(`/api/cameras/geojson?format=compact&district=${d.code}`, cameraMapCompactSchema, {
          ...(signal ? { signal } : {}),
        }),
      ),
    );
    return buildCameraMapData(parts.map((p, i) => ({ ...p, districtIndex: i })));
  }

  /** Search by name or address (`GET /api/cameras?q=`). Remembers the names it sees. */
  async search(q: string, limit: number, signal?: AbortSignal): Promise<CameraItem[]> {
    const qs = new URLSearchParams({ q, limit: String(limit) });
    const page = await this.#request(`/api/cameras?${qs.toString()}`, cameraPageSchema, {
      ...(signal ? { signal } : {}),
    });
    for (const item of page.items) this.#remember(item);
    return page.items;
  }

  /** One camera's file (`GET /api/cameras/:id`), fetched once per page. */
  camera(id: string): Promise<CameraItem> {
    let p = this.#items.get(id);
    if (!p) {
      p = this.#request(`/api/cameras/${encodeURIComponent(id)}`, cameraItemSchema).then((item) => {
        this.#remember(item);
        return item;
      });
      p.catch(() => this.#items.delete(id));
      this.#items.set(id, p);
    }
    return p;
  }

  /** The name of a camera when it has been fetched or found by a search. */
  nameOf(id: string): string | undefined {
    return this.#names.get(id);
  }

  /** Called whenever a new camera name becomes known. Returns an unsubscribe function. */
  onNames(cb: () => void): () => void {
    this.#nameListeners.add(cb);
    return () => this.#nameListeners.delete(cb);
  }

  #remember(item: CameraItem): void {
    if (this.#names.get(item.id) === item.name) return;
    this.#names.set(item.id, item.name);
    for (const cb of this.#nameListeners) cb();
  }

  /** `POST /api/cameras/:id/live`: a stream token for the media node, or the policy's refusal. */
  async live(
    cameraId: string,
    profile: StreamProfile,
    options: { refresh?: boolean } = {},
  ): Promise<LiveGrant> {
    const csrf = await this.#csrfToken();
    return this.#request(`/api/cameras/${encodeURIComponent(cameraId)}/live`, liveGrantSchema, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CSRF_HEADER]: csrf },
      body: JSON.stringify(options.refresh ? { profile, refresh: true } : { profile }),
    });
  }

  /** Open incidents (`GET /api/incidents?open=true`). */
  async openIncidents(): Promise<Incident[]> {
    const r = await this.#request('/api/incidents?open=true', incidentListSchema);
    return r.incidents;
  }
}

/** The snapshot URL of a camera on its media node (JPEG of the latest key frame). */
export function snapshotUrl(grant: LiveGrant, cameraId: string, profile: StreamProfile = 'sub'): string {
  const qs = new URLSearchParams({ profile, token: grant.token });
  return `${grant.nodeUrl.replace(/\/+$/, '')}/snapshot/${encodeURIComponent(cameraId)}?${qs.toString()}`;
}

type CompactPart = z.infer<typeof cameraMapCompactSchema> & { districtIndex: number };

/** Joins the per-district compact lists into one {@link CameraMapData}. */
export function buildCameraMapData(parts: readonly CompactPart[]): CameraMapData {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const ids: string[] = new Array(count);
  const lon = new Float64Array(count);
  const lat = new Float64Array(count);
  const grade = new Uint8Array(count);
  const state = new Uint8Array(count);
  const category = new Uint8Array(count);
  const district = new Uint8Array(count);
  const priv = new Uint8Array(count);
  const emergency = new Uint8Array(count);
  const indexOf = new Map<string, number>();
  let k = 0;
  for (const p of parts) {
    // The answer names its own index tables; map them onto ours (same order today).
    const stateMap = p.states.map((s) => MAP_STATES.indexOf(s));
    const categoryMap = p.categories.map((c) => MAP_CATEGORIES.indexOf(c));
    for (let i = 0; i < p.count; i++, k++) {
      const id = p.id[i] ?? '';
      ids[k] = id;
      indexOf.set(id, k);
      lon[k] = p.lon[i] ?? 0;
      lat[k] = p.lat[i] ?? 0;
      grade[k] = p.grade[i] ?? 1;
      state[k] = stateMap[p.state[i] ?? 0] ?? 0;
      category[k] = categoryMap[p.category[i] ?? 0] ?? 0;
      district[k] = p.districtIndex;
      priv[k] = p.private[i] ?? 0;
      emergency[k] = p.emergency[i] ?? 0;
    }
  }
  return {
    count,
    ids,
    lon,
    lat,
    grade,
    state,
    category,
    district,
    private: priv,
    emergency,
    indexOf,
    loadedAt: Date.now(),
  };
}

export function districtIndex(code: DistrictCode): number {
  return DISTRICTS.findIndex((d) => d.code === code);
}
