import type { PlaybackAnswer, StreamProfile } from '@wall/protocol';
import type { HlsConfig } from 'hls.js';
import { answeredError, errorBody, isRefusal } from './errors';
import { type TimedFragment, TimeMap } from './time-map';

/** The speeds a playback offers. */
export const PLAYBACK_SPEEDS = [0.5, 1, 2, 4, 8] as const;
export type PlaybackSpeed = (typeof PLAYBACK_SPEEDS)[number];

/** What a playback request asks the gateway (`POST /api/cameras/:id/playback`). */
export interface PlaybackGrantRequest {
  profile: StreamProfile;
  from: string;
  to: string;
  refresh?: boolean;
}

/** Where playback tokens come from: the gateway client. */
export interface PlaybackGrantSource {
  playback(cameraId: string, request: PlaybackGrantRequest): Promise<PlaybackAnswer>;
}

/** The part of hls.js the player uses (tests give a fake). */
export interface HlsLike {
  loadSource(url: string): void;
  attachMedia(media: HTMLMediaElement): void;
  startLoad(startPosition?: number): void;
  stopLoad(): void;
  recoverMediaError(): void;
  destroy(): void;
  on(event: string, listener: (event: string, data: never) => void): void;
}
export interface HlsFactory {
  isSupported(): boolean;
  create(config: Partial<HlsConfig>): HlsLike;
}

/** hls.js's event names (stable across 1.x). */
export const HLS_EVENTS = { levelLoaded: 'hlsLevelLoaded', error: 'hlsError' } as const;

/** `LEVEL_LOADED`'s data as the player reads it. */
export interface LevelLoadedLike {
  details: { fragments: readonly TimedFragment[] };
}
/** `ERROR`'s data as the player reads it. */
export interface HlsErrorLike {
  type: string;
  details: string;
  fatal: boolean;
  response?: { code: number; text?: string };
  networkDetails?: unknown;
  frag?: TimedFragment;
}

export type PlaybackState =
  | 'idle'
  | 'loading'
  | 'playing'
  | 'paused'
  | 'waiting'
  | 'ended'
  | 'denied'
  | 'damaged'
  | 'error';

export interface PlaybackView {
  state: PlaybackState;
  /** Why it is denied, damaged or failing (a gateway, media node or client code). */
  error: { code: string; message: string } | null;
  /** Wall-clock range (ms) of the segment that failed its check (`recording:damaged`) or is gone. */
  damaged: { from: number; to: number } | null;
  speed: PlaybackSpeed;
  /** Allowed under a major incident's grant (R-RET-3). */
  emergency: boolean;
  /** The node transcodes the recording (H.265) for the browser. */
  transcoded: boolean;
  codec: 'h264' | 'h265' | null;
  /** The wall-clock range (ms) of the playlist loaded now. */
  window: { from: number; to: number } | null;
  /** The time asked for was not recorded: playing from the next recorded moment. */
  skippedGap: boolean;
}

export const INITIAL_PLAYBACK_VIEW: PlaybackView = {
  state: 'idle',
  error: null,
  damaged: null,
  speed: 1,
  emergency: false,
  transcoded: false,
  codec: null,
  window: null,
  skippedGap: false,
};

export interface PlaybackPlayerOptions {
  cameraId: string;
  profile: StreamProfile;
  source: PlaybackGrantSource;
  video: HTMLVideoElement;
  /** The gateway's origin: the playlist URL of an answer is relative to it. */
  gatewayUrl: string;
  onView: (view: PlaybackView) => void;
  /** Each presented frame's wall-clock time (ms), from requestVideoFrameCallback. */
  onFrame?: (wallMs: number) => void;
  /** hls.js (default: the real one, loaded lazily). */
  hls?: () => Promise<HlsFactory>;
  /** A playlist covers this long before the time asked for … (default 10 min) */
  beforeMs?: number;
  /** … and this long after it, at most until now (default 50 min). */
  afterMs?: number;
  /** Renew the token this long before it expires (default 15 s). */
  refreshMarginMs?: number;
  now?: () => number;
}

/** The real hls.js, loaded on first use (it is large and only playback pages need it). */
export async function loadHls(): Promise<HlsFactory> {
  const { default: Hls } = await import('hls.js');
  return { isSupported: () => Hls.isSupported(), create: (config) => new Hls(config) as unknown as HlsLike };
}

/** The HTTP status and `{ code, message }` of a failed HLS request. */
function failedRequest(data: HlsErrorLike): { status: number; code: string | undefined; message: string } {
  const xhr = data.networkDetails;
  let body: unknown;
  if (typeof XMLHttpRequest !== 'undefined' && xhr instanceof XMLHttpRequest) {
    try {
      body = xhr.responseType === '' || xhr.responseType === 'text' ? xhr.responseText : xhr.response;
    } catch {
      body = undefined;
    }
  }
  const answered = answeredError(body);
  return {
    status: data.response?.code ?? 0,
    code: answered?.code,
    message: answered?.message ?? data.details,
  };
}

interface Session {
  gen: number;
  from: number;
  to: number;
  hls: HlsLike;
  map: TimeMap | null;
  expiresAt: number;
}

/**
 * Plays a camera's recordings over HLS (hls.js, MSE) into one video: `play(t)` asks the gateway for
 * a playback of a window around wall-clock time t (a token and a VOD playlist whose segments carry
 * EXT-X-PROGRAM-DATE-TIME), maps t onto the playlist's media timeline and starts there; a later
 * `play` inside the loaded window only seeks. The token is renewed before it expires and every
 * segment request carries the newest one (xhrSetup). `presentedTime()` is the wall-clock time of
 * the frame on screen (requestVideoFrameCallback's mediaTime through the fragments' program date
 * times). A segment the media node answers 409 `recording:damaged` (or 404 `recording:missing`)
 * stops the playback with that range: nothing else is played in its place.
 */
export class PlaybackPlayer {
  readonly #o: PlaybackPlayerOptions;
  readonly #now: () => number;
  #view: PlaybackView = INITIAL_PLAYBACK_VIEW;
  #session: Session | null = null;
  #gen = 0;
  #token = '';
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshing: Promise<void> | null = null;
  #presentedMedia: number | null = null;
  #awaitingFrame = false;
  #frameHandle: number | null = null;
  #mediaRecoveries = 0;
  #closed = false;
  readonly #offs: (() => void)[] = [];

  constructor(options: PlaybackPlayerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    const v = options.video;
    const on = (type: string, fn: () => void) => {
      v.addEventListener(type, fn);
      this.#offs.push(() => v.removeEventListener(type, fn));
    };
    on('waiting', () => {
      if (this.#view.state === 'playing') this.#set({ state: 'waiting' });
    });
    on('playing', () => {
      if (this.#view.state === 'waiting' || this.#view.state === 'paused') this.#set({ state: 'playing' });
    });
    on('pause', () => {
      if (this.#view.state === 'playing' || this.#view.state === 'waiting') this.#set({ state: 'paused' });
    });
    on('ended', () => {
      if (this.#view.state === 'playing' || this.#view.state === 'waiting') this.#set({ state: 'ended' });
    });
    on('timeupdate', () => {
      // Without requestVideoFrameCallback the element's clock stands in for the presented frame.
      if (!this.#hasFrameCallback) this.#presented(v.currentTime);
    });
    this.#watchFrames();
  }

  get view(): PlaybackView {
    return this.#view;
  }

  /** The loaded playlist's media ↔ wall-clock mapping (null before one is loaded). */
  get timeMap(): TimeMap | null {
    return this.#session?.map ?? null;
  }

  /** Wall-clock ms of the frame on screen, or null before the first one. */
  presentedTime(): number | null {
    const map = this.#session?.map;
    if (!map || this.#presentedMedia === null) return null;
    return map.mediaToWall(this.#presentedMedia);
  }

  /** Plays from wall-clock time `wallMs`: a seek inside the loaded window, else a new playback. */
  async play(wallMs: number): Promise<void> {
    if (this.#closed) return;
    const s = this.#session;
    if (
      s?.map &&
      wallMs >= s.from &&
      wallMs < s.to &&
      this.#view.state !== 'damaged' &&
      this.#view.state !== 'error'
    ) {
      if (this.#seekWithin(s.map, wallMs)) return;
    }
    await this.#open(wallMs);
  }

  setSpeed(speed: number): void {
    const next = PLAYBACK_SPEEDS.reduce((best, s) =>
      Math.abs(s - speed) < Math.abs(best - speed) ? s : best,
    );
    this.#o.video.playbackRate = next;
    this.#o.video.defaultPlaybackRate = next;
    this.#set({ speed: next });
  }

  pause(): void {
    this.#o.video.pause();
  }

  resume(): void {
    if (this.#view.state === 'paused' || this.#view.state === 'ended') {
      void this.#o.video.play().catch(() => undefined);
    }
  }

  /** Stops everything. Idempotent. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopSession();
    const v = this.#o.video;
    if (this.#frameHandle !== null && 'cancelVideoFrameCallback' in v)
      v.cancelVideoFrameCallback(this.#frameHandle);
    for (const off of this.#offs.splice(0)) off();
    v.removeAttribute('src');
  }

  // ——— internals ———

  #set(patch: Partial<PlaybackView>): void {
    if (this.#closed) return;
    const next = { ...this.#view, ...patch };
    if ((Object.keys(patch) as (keyof PlaybackView)[]).every((k) => this.#view[k] === next[k])) return;
    this.#view = next;
    this.#o.onView(next);
  }

  get #hasFrameCallback(): boolean {
    return typeof this.#o.video.requestVideoFrameCallback === 'function';
  }

  #watchFrames(): void {
    const v = this.#o.video;
    if (!this.#hasFrameCallback || this.#closed) return;
    this.#frameHandle = v.requestVideoFrameCallback((_now, meta) => {
      this.#presented(meta.mediaTime);
      this.#watchFrames();
    });
  }

  #presented(mediaTime: number): void {
    if (this.#closed) return;
    const v = this.#o.video;
    this.#presentedMedia = mediaTime;
    if (this.#awaitingFrame && !v.seeking) {
      this.#awaitingFrame = false;
      this.#set({ state: v.paused ? 'paused' : 'playing' });
    }
    const wall = this.presentedTime();
    if (wall !== null) this.#o.onFrame?.(wall);
  }

  #seekWithin(map: TimeMap, wallMs: number): boolean {
    const pos = map.wallToMedia(wallMs);
    if (pos.kind === 'after') return false;
    const v = this.#o.video;
    this.#awaitingFrame = true;
    this.#set({ state: 'loading', skippedGap: pos.kind !== 'recorded', error: null, damaged: null });
    v.currentTime = pos.media;
    void v.play().catch(() => undefined);
    return true;
  }

  #stopSession(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    this.#session?.hls.destroy();
    this.#session = null;
  }

  async #open(wallMs: number): Promise<void> {
    const gen = ++this.#gen;
    this.#stopSession();
    this.#presentedMedia = null;
    this.#awaitingFrame = true;
    this.#mediaRecoveries = 0;
    const now = this.#now();
    const to = Math.min(wallMs + (this.#o.afterMs ?? 50 * 60_000), now);
    const from = Math.min(wallMs - (this.#o.beforeMs ?? 10 * 60_000), to - 1000);
    this.#set({ state: 'loading', error: null, damaged: null, skippedGap: false, window: { from, to } });
    let answer: PlaybackAnswer;
    let factory: HlsFactory;
    try {
      [answer, factory] = await Promise.all([
        this.#o.source.playback(this.#o.cameraId, {
          profile: this.#o.profile,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
        }),
        (this.#o.hls ?? loadHls)(),
      ]);
    } catch (err) {
      if (gen !== this.#gen) return;
      this.#fail(errorBody(err));
      return;
    }
    if (gen !== this.#gen || this.#closed) return;
    this.#token = answer.token;
    this.#set({ emergency: answer.emergency, transcoded: answer.transcoded, codec: answer.codec });
    if (answer.segments === 0) {
      this.#fail({ code: 'playback:not_recorded', message: 'nothing is recorded in this range' });
      return;
    }
    if (!factory.isSupported()) {
      this.#fail({
        code: 'client:unsupported',
        message: 'this browser cannot play HLS (no Media Source Extensions)',
      });
      return;
    }
    const hls = factory.create(this.#hlsConfig());
    const session: Session = { gen, from, to, hls, map: null, expiresAt: Date.parse(answer.expiresAt) };
    this.#session = session;
    this.#scheduleRefresh(session);
    hls.on(HLS_EVENTS.levelLoaded, (_e, data: LevelLoadedLike) => this.#levelLoaded(session, wallMs, data));
    hls.on(HLS_EVENTS.error, (_e, data: HlsErrorLike) => this.#hlsError(session, data));
    hls.attachMedia(this.#o.video);
    hls.loadSource(new URL(answer.playlistUrl, this.#o.gatewayUrl).toString());
  }

  #levelLoaded(session: Session, wallMs: number, data: LevelLoadedLike): void {
    if (session !== this.#session || session.map) return;
    const map = new TimeMap(data.details.fragments);
    session.map = map;
    const pos = map.wallToMedia(wallMs);
    if (pos.kind === 'after') {
      this.#fail({ code: 'playback:not_recorded', message: 'nothing is recorded from this time on' });
      return;
    }
    this.#set({ skippedGap: pos.kind !== 'recorded' });
    const v = this.#o.video;
    v.playbackRate = this.#view.speed;
    v.defaultPlaybackRate = this.#view.speed;
    session.hls.startLoad(pos.media);
    v.currentTime = pos.media;
    void v.play().catch(() => undefined);
  }

  #hlsError(session: Session, data: HlsErrorLike): void {
    if (session !== this.#session) return;
    const req = failedRequest(data);
    const code = req.code ?? (req.status === 409 ? 'recording:damaged' : undefined);
    if (code === 'recording:damaged' || code === 'recording:missing') {
      const f = data.frag;
      const damaged =
        f && f.programDateTime !== null
          ? { from: f.programDateTime, to: f.programDateTime + f.duration * 1000 }
          : null;
      session.hls.stopLoad();
      this.#o.video.pause();
      this.#awaitingFrame = false;
      this.#set({ state: 'damaged', error: { code, message: req.message }, damaged });
      return;
    }
    if (code?.startsWith('token:') && !data.fatal) {
      // hls.js asks again (errorRetry); the next request carries the renewed token.
      void this.#refresh(session);
      return;
    }
    if (!data.fatal) return;
    if (data.type === 'mediaError' && this.#mediaRecoveries < 2) {
      this.#mediaRecoveries++;
      session.hls.recoverMediaError();
      return;
    }
    if (code) this.#fail({ code, message: req.message });
    else if (data.type === 'networkError') this.#fail({ code: 'client:network', message: data.details });
    else this.#fail({ code: 'client:media', message: data.details });
  }

  #fail(error: { code: string; message: string }): void {
    this.#stopSession();
    this.#awaitingFrame = false;
    this.#set({ state: isRefusal(error.code) ? 'denied' : 'error', error });
  }

  #withToken(url: string): string {
    try {
      const u = new URL(url);
      if (!u.searchParams.has('token')) return url;
      u.searchParams.set('token', this.#token);
      return u.toString();
    } catch {
      return url;
    }
  }

  #hlsConfig(): Partial<HlsConfig> {
    // 4xx answers are final (damaged, missing, refused) except an expired token, renewed meanwhile.
    const shouldRetry = (
      cfg: { maxNumRetry: number } | null | undefined,
      count: number,
      _timeout: boolean,
      res: { code?: number } | undefined,
    ) => {
      const status = res?.code ?? 0;
      return !!cfg && count < cfg.maxNumRetry && (status === 0 || status === 401 || status >= 500);
    };
    const policy = {
      default: {
        maxTimeToFirstByteMs: 10_000,
        maxLoadTimeMs: 30_000,
        timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
        errorRetry: { maxNumRetry: 3, retryDelayMs: 500, maxRetryDelayMs: 4000, shouldRetry },
      },
    };
    return {
      autoStartLoad: false,
      // No worker: the page's CSP allows no blob: workers.
      enableWorker: false,
      maxBufferLength: 20,
      backBufferLength: 30,
      fragLoadPolicy: policy,
      playlistLoadPolicy: policy,
      manifestLoadPolicy: policy,
      xhrSetup: (xhr, url) => {
        xhr.open('GET', this.#withToken(url), true);
      },
    };
  }

  #scheduleRefresh(session: Session): void {
    clearTimeout(this.#refreshTimer);
    const margin = this.#o.refreshMarginMs ?? 15_000;
    const delay = Math.max(1000, session.expiresAt - margin - this.#now());
    this.#refreshTimer = setTimeout(() => void this.#refresh(session), delay);
  }

  #refresh(session: Session): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const answer = await this.#o.source.playback(this.#o.cameraId, {
          profile: this.#o.profile,
          from: new Date(session.from).toISOString(),
          to: new Date(session.to).toISOString(),
          refresh: true,
        });
        if (session !== this.#session) return;
        this.#token = answer.token;
        session.expiresAt = Date.parse(answer.expiresAt);
        this.#scheduleRefresh(session);
      } catch (err) {
        if (session !== this.#session) return;
        const body = errorBody(err);
        if (isRefusal(body.code)) {
          this.#fail(body);
          return;
        }
        // A passing failure: again soon (the token still runs for the margin).
        clearTimeout(this.#refreshTimer);
        this.#refreshTimer = setTimeout(() => void this.#refresh(session), 2000);
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }
}
