import {
  type CameraItem,
  type CameraPage,
  type CameraState,
  type CapacityReport,
  type CreateWall,
  CSRF_HEADER,
  cameraItemSchema,
  cameraPageSchema,
  capacityReportSchema,
  type EmergencyUsePage,
  emergencyUsePageSchema,
  type Incident,
  type IncidentReview,
  incidentListSchema,
  incidentReviewSchema,
  incidentSchema,
  type PlaybackAnswer,
  type PlaybackRequest,
  playbackAnswerSchema,
  type RecordingTimeline,
  recordingTimelineSchema,
  type SessionInfo,
  type StreamProfile,
  sessionInfoSchema,
  type WallCommand,
  type WallState,
  wallStateSchema,
} from '@wall/protocol';
import { z } from 'zod';
import { errorFromBody, GatewayError } from './errors';

/** `POST /api/cameras/:id/live` answer: a stream token (≤ 60 s) for one media node. */
export const liveGrantSchema = z.object({
  token: z.string().min(1),
  nodeUrl: z.url({ protocol: /^https?$/ }),
  expiresAt: z.iso.datetime({ offset: true }),
  emergency: z.boolean(),
});
export type LiveGrant = z.infer<typeof liveGrantSchema>;

const wallListSchema = z.object({ walls: z.array(wallStateSchema) });

/** Filters of `GET /api/cameras` as the web app uses them. */
export interface CameraSearchInput {
  /** With `radiusM`: nearest first, each item with `distanceM`. */
  near?: readonly [number, number];
  radiusM?: number;
  bbox?: readonly [number, number, number, number];
  district?: string;
  state?: readonly CameraState[];
  grade?: readonly number[];
  q?: string;
  limit?: number;
  cursor?: string;
}

export function cameraSearchParams(input: CameraSearchInput): URLSearchParams {
  const p = new URLSearchParams();
  if (input.near) p.set('near', `${input.near[0]},${input.near[1]}`);
  if (input.radiusM !== undefined) p.set('radiusM', String(input.radiusM));
  if (input.bbox) p.set('bbox', input.bbox.join(','));
  if (input.district) p.set('district', input.district);
  if (input.state && input.state.length > 0) p.set('state', input.state.join(','));
  if (input.grade && input.grade.length > 0) p.set('grade', input.grade.join(','));
  if (input.q) p.set('q', input.q);
  if (input.limit !== undefined) p.set('limit', String(input.limit));
  if (input.cursor) p.set('cursor', input.cursor);
  return p;
}

export interface GatewayClientOptions {
  /** The session's CSRF token when already known (login answer, server-side `/api/me`). */
  csrfToken?: string;
  /** Extra headers on every request (server side: the browser's session cookie). */
  headers?: Record<string, string>;
  /** Per-request timeout. Default 15 s. */
  timeoutMs?: number;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * The gateway's JSON API for the web app: the browser calls it directly with the session cookie
 * (`credentials: 'include'`); writes carry the session's CSRF token (fetched from `GET /api/me`
 * when not given, fetched again once when the gateway refuses it). Answers are checked against
 * the protocol's schemas; failures are `GatewayError`s with the gateway's `{ code, message }`.
 */
export class GatewayClient {
  readonly baseUrl: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  #csrf: string | undefined;
  #csrfPending: Promise<string> | undefined;

  constructor(baseUrl: string, options: GatewayClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#csrf = options.csrfToken;
    this.#headers = options.headers ?? {};
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  // ——— session ———

  /** Signs in; the gateway sets the session cookie. */
  async login(username: string, password: string): Promise<SessionInfo> {
    const info = await this.#send(
      'POST',
      '/api/auth/login',
      sessionInfoSchema,
      { username, password },
      false,
    );
    this.#csrf = info.csrfToken;
    return info;
  }

  /** The signed-in user and the session's CSRF token; `unauthenticated` without a session. */
  async me(): Promise<SessionInfo> {
    const info = await this.#send('GET', '/api/me', sessionInfoSchema);
    this.#csrf = info.csrfToken;
    return info;
  }

  async logout(): Promise<void> {
    await this.#send('POST', '/api/auth/logout', z.unknown());
    this.#csrf = undefined;
  }

  // ——— walls ———

  async walls(): Promise<WallState[]> {
    return (await this.#send('GET', '/api/walls', wallListSchema)).walls;
  }

  createWall(input: CreateWall): Promise<WallState> {
    return this.#send('POST', '/api/walls', wallStateSchema, input);
  }

  wall(id: string): Promise<WallState> {
    return this.#send('GET', `/api/walls/${encodeURIComponent(id)}`, wallStateSchema);
  }

  /** A wall command over HTTP (the console uses the socket); `conflict:version` carries `current`. */
  command(wallId: string, command: WallCommand): Promise<WallState> {
    return this.#send('POST', `/api/walls/${encodeURIComponent(wallId)}/commands`, wallStateSchema, command);
  }

  // ——— cameras ———

  searchCameras(input: CameraSearchInput): Promise<CameraPage> {
    return this.#send('GET', `/api/cameras?${cameraSearchParams(input).toString()}`, cameraPageSchema);
  }

  /** A camera's file (low priority: a wall's stream tokens go first on the browser's connections). */
  camera(id: string): Promise<CameraItem> {
    return this.#send(
      'GET',
      `/api/cameras/${encodeURIComponent(id)}`,
      cameraItemSchema,
      undefined,
      false,
      'low',
    );
  }

  /** A stream token for the camera; 403 with `forbidden:*` when the policy denies live view. */
  /** A stream token; `refresh` renews the token of a stream the page already plays. */
  live(cameraId: string, profile: StreamProfile, options: { refresh?: boolean } = {}): Promise<LiveGrant> {
    return this.#send(
      'POST',
      `/api/cameras/${encodeURIComponent(cameraId)}/live`,
      liveGrantSchema,
      options.refresh ? { profile, refresh: true } : { profile },
      true,
      'high',
    );
  }

  // ——— recordings (issue 13) ———

  /** A camera's recorded ranges, gaps and evidence holds in [from, to] (≤ 31 days; `playback:view`). */
  recordings(
    cameraId: string,
    query: { profile: StreamProfile; from: string; to: string },
  ): Promise<RecordingTimeline> {
    const p = new URLSearchParams(query);
    return this.#send(
      'GET',
      `/api/cameras/${encodeURIComponent(cameraId)}/recordings?${p.toString()}`,
      recordingTimelineSchema,
    );
  }

  /** A playback of [from, to] (≤ 24 h): token and playlist; `refresh` renews the token of one the page plays. */
  playback(cameraId: string, request: PlaybackRequest): Promise<PlaybackAnswer> {
    return this.#send(
      'POST',
      `/api/cameras/${encodeURIComponent(cameraId)}/playback`,
      playbackAnswerSchema,
      request,
      true,
      'high',
    );
  }

  // ——— emergency uses (R-ACC-4) ———

  /**
   * Emergency uses of the cameras the user's organisation owns, newest first; `before` is the
   * previous page's `nextBefore`.
   */
  emergencyUses(page: { before?: number; limit?: number } = {}): Promise<EmergencyUsePage> {
    const p = new URLSearchParams();
    if (page.before !== undefined) p.set('before', String(page.before));
    if (page.limit !== undefined) p.set('limit', String(page.limit));
    const qs = p.size > 0 ? `?${p.toString()}` : '';
    return this.#send('GET', `/api/emergency-uses${qs}`, emergencyUsePageSchema);
  }

  // ——— recording capacity (R-REC-3) ———

  /** The recording capacity forecast and storage alarms (administrators and auditors; else `forbidden:role`). */
  recordingCapacity(): Promise<CapacityReport> {
    return this.#send('GET', '/api/recordings/capacity', capacityReportSchema);
  }

  /** Incidents, newest first (at most 200); `open` true: open ones only, false: closed ones only. */
  incidents(open?: boolean): Promise<Incident[]> {
    const qs = open === undefined ? '' : `?open=${open}`;
    return this.#send('GET', `/api/incidents${qs}`, incidentListSchema).then((r) => r.incidents);
  }

  /** Confirms a major incident as the second command user; the incident as it now stands. */
  confirmIncident(incidentId: string): Promise<Incident> {
    return this.#send('POST', `/api/incidents/${encodeURIComponent(incidentId)}/confirm`, incidentSchema);
  }

  /** An incident's after-action review; `forbidden:role` outside its audience, `not_found:incident`. */
  incidentReview(incidentId: string): Promise<IncidentReview> {
    return this.#send('GET', `/api/incidents/${encodeURIComponent(incidentId)}/review`, incidentReviewSchema);
  }

  // ——— transport ———

  #csrfToken(): Promise<string> {
    if (this.#csrf) return Promise.resolve(this.#csrf);
    this.#csrfPending ??= this.me()
      .then((info) => info.csrfToken)
      .finally(() => {
        this.#csrfPending = undefined;
      });
    return this.#csrfPending;
  }

  async #send<T>(
    method: Method,
    path: string,
    schema: z.ZodType<T>,
    body?: unknown,
    withCsrf = method !== 'GET',
    priority: RequestPriority = 'auto',
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json', ...this.#headers };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (withCsrf) headers[CSRF_HEADER] = await this.#csrfToken();
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          credentials: 'include',
          cache: 'no-store',
          priority,
          signal: AbortSignal.timeout(this.#timeoutMs),
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (err) {
        const timeout = err instanceof DOMException && err.name === 'TimeoutError';
        throw new GatewayError(
          timeout ? 'client:timeout' : 'client:network',
          timeout
            ? `${method} ${path}: no answer within ${this.#timeoutMs} ms`
            : 'the gateway is unreachable',
          { cause: err },
        );
      }
      const text = await res.text();
      let json: unknown = null;
      if (text.length > 0) {
        try {
          json = JSON.parse(text);
        } catch {
          throw new GatewayError('client:protocol', `${method} ${path}: answer is not JSON`, {
            status: res.status,
          });
        }
      }
      if (!res.ok) {
        const err = errorFromBody(res.status, json);
        // The session's token changed (another tab signed in again): fetch it once more.
        if (err.code === 'forbidden:csrf' && withCsrf && attempt === 0) {
          this.#csrf = undefined;
          continue;
        }
        throw err;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new GatewayError('client:protocol', `${method} ${path}: unexpected answer`, {
          status: res.status,
          cause: parsed.error,
        });
      }
      return parsed.data;
    }
  }
}
