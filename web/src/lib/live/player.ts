import type { StreamProfile } from '@wall/protocol';
import { LiveViewerError, toLiveViewerError } from './errors';
import type { LiveStream, LiveStreamState } from './viewer-client';
import type { ViewerPool } from './viewer-pool';

/** A stream token for one media node, as the gateway grants it (`POST /api/cameras/:id/live`). */
export interface LiveGrant {
  token: string;
  nodeUrl: string;
  expiresAt: string;
  emergency: boolean;
}

/** Where a player's stream tokens come from: the gateway (or a fixed token, on the diagnostics page). */
export interface GrantSource {
  live(cameraId: string, profile: StreamProfile, options?: { refresh?: boolean }): Promise<LiveGrant>;
  /**
   * False when the source cannot renew a token (a fixed one): no renewal is asked for, and a
   * token the node refuses is final. Default true.
   */
  readonly renewable?: boolean;
}

export type LiveState = 'connecting' | 'live' | 'denied' | 'error';

/** What a player shows (a wall tile, the map preview, a diagnostics tile). */
export interface LiveView {
  state: LiveState;
  /** Why the tile is denied or failing (a gateway, media node or client code). */
  error: { code: string; message: string } | null;
  /** Profile of the stream in front (null before the first frame). */
  profile: StreamProfile | null;
  /** Which of the tile's two <video> elements is in front. */
  front: 0 | 1;
  /** The node's key-frame snapshot, shown until the first decoded frame. */
  snapshotUrl: string | null;
  /** No frame for a while, or the stream is being subscribed again. */
  stalled: boolean;
  /** The live view was allowed by a major incident's emergency grant (R-ACC-4). */
  emergency: boolean;
  /** How many times the live client subscribed a stream again after an interruption. */
  resubscriptions: number;
}

export const INITIAL_VIEW: LiveView = {
  state: 'connecting',
  error: null,
  profile: null,
  front: 0,
  snapshotUrl: null,
  stalled: false,
  emergency: false,
  resubscriptions: 0,
};

export interface LivePlayerOptions {
  cameraId: string;
  /** Grants and their renewals (`refresh: true`). */
  source: GrantSource;
  /** Where the first grant of a stream comes from (a prefetched one when there is one); default `source`. */
  grants?: { live(cameraId: string, profile: StreamProfile): Promise<LiveGrant> };
  /** The page's viewers (one socket and receive transport per media node). */
  pool: ViewerPool;
  /**
   * Two video elements: one in front, one that starts the next stream behind it (a profile change
   * without a black frame). The same element twice plays without that overlap.
   */
  videos: readonly [HTMLVideoElement, HTMLVideoElement];
  onView: (view: LiveView) => void;
  /** No decoded frame for this long → stalled. Default 3 s. */
  stallMs?: number;
  /** Still no frame this long → start the stream again behind the last picture. Default 8 s. */
  restartMs?: number;
}

/** One stream playing (or starting) into one of the tile's videos. */
interface Slot {
  index: 0 | 1;
  profile: StreamProfile;
  stream: LiveStream | null;
  frames: number;
  /** When the track's first frame was presented (rVFC) or a frame was last decoded, performance.now(). */
  lastFrameAt: number;
  /** The video's decoded-frame count when last looked at. */
  decoded: number;
  startedAt: number;
  stopFrames: (() => void) | null;
  offs: (() => void)[];
}

/** Denials and errors that another attempt will not cure (`token:*` too when the token cannot be renewed). */
export function permanentCode(code: string, renewable = true): boolean {
  return (
    (!renewable && code.startsWith('token:')) ||
    code.startsWith('forbidden:') ||
    code.startsWith('not_found:') ||
    code.startsWith('revoked:') ||
    code === 'unauthenticated' ||
    code === 'stream:unsupported_codec' ||
    code === 'invalid:request' ||
    code === 'client:unsupported'
  );
}

/** `{ code, message }` of a gateway, media node or client error (anything else: `internal`). */
function bodyOf(err: unknown): { code: string; message: string } {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    const message = 'message' in err && typeof err.message === 'string' ? err.message : err.code;
    return { code: err.code, message };
  }
  const e = toLiveViewerError(err);
  return { code: e.code, message: e.message };
}

const BACKOFF_MS = [1000, 2000, 4000, 8000, 10_000];
const PENDING_TIMEOUT_MS = 20_000;

/**
 * Plays one camera into a video (a wall tile, the map preview, a diagnostics tile): asks the gateway for a stream token (`POST
 * /api/cameras/:id/live`), shows the node's snapshot at once, plays the stream through the page's
 * shared `LiveViewer` (the `ViewerPool`) and hides the snapshot on the first decoded frame (requestVideoFrameCallback).
 *
 * A profile change (sub ⇄ main) starts the new stream in the video behind, swaps the two on the new
 * one's first decoded frame and only then closes the old one — no black frame. No frame for
 * `stallMs` shows "stalled"; the live client resubscribes by itself when the node interrupts the
 * stream, and a stream that stays silent for `restartMs` is started again the same way as a
 * profile change (the last picture stays up meanwhile, the node is asked to ingest it again).
 */
export class LivePlayer {
  readonly #o: LivePlayerOptions;
  readonly #stallMs: number;
  readonly #restartMs: number;
  readonly #owner: [Slot | null, Slot | null] = [null, null];
  readonly #timer: ReturnType<typeof setInterval>;
  #view: LiveView = INITIAL_VIEW;
  #want: StreamProfile = 'sub';
  #front: Slot | null = null;
  #pending: Slot | null = null;
  #attempts = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #snapshotTried = false;
  #remoteStalled = false;
  #closed = false;

  constructor(options: LivePlayerOptions) {
    this.#o = options;
    this.#stallMs = options.stallMs ?? 3000;
    this.#restartMs = options.restartMs ?? 8000;
    this.#timer = setInterval(() => this.#tick(), 500);
  }

  get view(): LiveView {
    return this.#view;
  }

  /** Plays this profile (starts the player on the first call). */
  setProfile(profile: StreamProfile): void {
    this.#want = profile;
    if (this.#closed) return;
    if (this.#view.state === 'denied') return;
    if (this.#pending) {
      if (this.#pending.profile === profile) return;
      this.#drop(this.#pending);
      this.#pending = null;
    }
    if (this.#front?.profile === profile) return;
    this.#begin(profile);
  }

  /** The media node's status of this camera's current profile (`camera:status`). */
  setRemoteState(state: string | undefined): void {
    this.#remoteStalled = state === 'stalled' || state === 'offline';
    this.#tick();
  }

  /** Stops everything. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    if (this.#pending) this.#drop(this.#pending);
    if (this.#front) this.#drop(this.#front);
    this.#pending = null;
    this.#front = null;
  }

  // ——— internals ———

  get #renewable(): boolean {
    return this.#o.source.renewable !== false;
  }

  #set(patch: Partial<LiveView>): void {
    if (this.#closed) return;
    const next = { ...this.#view, ...patch };
    const same = (Object.keys(patch) as (keyof LiveView)[]).every((k) => this.#view[k] === next[k]);
    if (same) return;
    this.#view = next;
    this.#o.onView(next);
  }

  #begin(profile: StreamProfile): void {
    clearTimeout(this.#retry);
    const index: 0 | 1 = this.#front ? (this.#front.index === 0 ? 1 : 0) : this.#view.front;
    const slot: Slot = {
      index,
      profile,
      stream: null,
      frames: 0,
      lastFrameAt: 0,
      decoded: 0,
      startedAt: performance.now(),
      stopFrames: null,
      offs: [],
    };
    this.#pending = slot;
    if (!this.#front) this.#set({ front: index });
    void this.#run(slot);
  }

  async #run(slot: Slot): Promise<void> {
    const { source, pool, cameraId } = this.#o;
    const alive = () => !this.#closed && this.#pending === slot;
    try {
      const grant = await (this.#o.grants ?? source).live(cameraId, slot.profile);
      if (!alive()) return;
      if (!this.#front && !this.#snapshotTried) {
        this.#snapshotTried = true;
        const q = new URLSearchParams({ profile: slot.profile, token: grant.token });
        this.#set({
          snapshotUrl: `${grant.nodeUrl.replace(/\/+$/, '')}/snapshot/${encodeURIComponent(cameraId)}?${q}`,
        });
      }
      this.#set({ emergency: grant.emergency });
      const viewer = await pool.connect(grant.nodeUrl, grant.token);
      if (!alive()) return;
      const stream = await viewer.play(
        grant.token,
        this.#renewable
          ? {
              refreshToken: async () => (await source.live(cameraId, slot.profile, { refresh: true })).token,
            }
          : {},
      );
      if (!alive()) {
        stream.close();
        return;
      }
      slot.stream = stream;
      // From now on the wait is for a picture (the requests before have timeouts of their own).
      slot.startedAt = performance.now();
      this.#attach(slot, stream.track);
      slot.offs.push(stream.onTrack((track) => this.#attach(slot, track)));
      slot.offs.push(stream.onStateChange((state, err) => this.#onStreamState(slot, state, err)));
    } catch (err) {
      if (alive()) this.#failed(slot, err);
    }
  }

  #attach(slot: Slot, track: MediaStreamTrack): void {
    if (this.#closed) return;
    const video = this.#o.videos[slot.index];
    slot.stopFrames?.();
    this.#owner[slot.index] = slot;
    video.muted = true;
    video.srcObject = new MediaStream([track]);
    video.play().catch(() => undefined);
    let stopped = false;
    let handle = 0;
    // The first presented frame of this track is what counts (live, or the swap of a profile
    // change); after it, the frames the video decodes (checked every tick) tell that it flows —
    // no callback per frame on a wall of many tiles.
    const onFrame = () => {
      if (stopped) return;
      slot.frames++;
      slot.lastFrameAt = performance.now();
      slot.decoded = video.getVideoPlaybackQuality().totalVideoFrames;
      if (slot.frames === 1) this.#onFirstFrame(slot);
    };
    handle = video.requestVideoFrameCallback(onFrame);
    slot.stopFrames = () => {
      stopped = true;
      video.cancelVideoFrameCallback(handle);
    };
  }

  #onFirstFrame(slot: Slot): void {
    if (this.#pending !== slot) return;
    const old = this.#front;
    this.#front = slot;
    this.#pending = null;
    this.#attempts = 0;
    this.#set({
      state: 'live',
      error: null,
      profile: slot.profile,
      front: slot.index,
      snapshotUrl: null,
      stalled: false,
    });
    // The old picture stays behind until the new one is surely painted in front.
    if (old) setTimeout(() => this.#drop(old), 300);
    // The profile wanted may have changed while this one started.
    if (slot.profile !== this.#want) this.#begin(this.#want);
  }

  #onStreamState(slot: Slot, state: LiveStreamState, err: unknown): void {
    if (state === 'resubscribing') this.#set({ resubscriptions: this.#view.resubscriptions + 1 });
    if (state !== 'failed') {
      this.#tick();
      return;
    }
    if (this.#pending === slot) {
      this.#pending = null;
      this.#failed(slot, err ?? slot.stream?.error);
    } else if (
      this.#front === slot &&
      permanentCode(bodyOf(err ?? slot.stream?.error).code, this.#renewable)
    ) {
      // The right to the stream ended (revoked, refused on renewal): the picture goes, the reason shows.
      const body = bodyOf(err ?? slot.stream?.error);
      this.#front = null;
      this.#drop(slot);
      this.#set({
        state: body.code.startsWith('forbidden:') || body.code.startsWith('revoked:') ? 'denied' : 'error',
        error: body,
        stalled: false,
        snapshotUrl: null,
      });
    } else if (this.#front === slot) {
      // The live client gave up resubscribing: keep the last picture and start over.
      this.#set({ stalled: true, error: bodyOf(err ?? slot.stream?.error) });
      this.#retryLater();
    }
  }

  #failed(slot: Slot, err: unknown): void {
    this.#drop(slot);
    if (this.#pending === slot) this.#pending = null;
    const body = bodyOf(err);
    this.#attempts++;
    if (permanentCode(body.code, this.#renewable)) {
      if (this.#front) {
        // E.g. the main stream of a full-screen tile is refused: the sub stream stays up.
        this.#set({ error: body });
        return;
      }
      this.#set({
        state: body.code.startsWith('forbidden:') ? 'denied' : 'error',
        error: body,
        snapshotUrl: null,
      });
      return;
    }
    if (!this.#front) this.#set({ state: this.#attempts >= 3 ? 'error' : 'connecting', error: body });
    this.#retryLater();
  }

  #retryLater(): void {
    if (this.#closed) return;
    clearTimeout(this.#retry);
    const delay = BACKOFF_MS[Math.min(this.#attempts, BACKOFF_MS.length) - 1] ?? 1000;
    this.#retry = setTimeout(() => {
      if (this.#closed || this.#pending) return;
      const front = this.#front;
      const healthy =
        front !== null &&
        front.profile === this.#want &&
        front.stream?.state === 'live' &&
        performance.now() - front.lastFrameAt < this.#stallMs;
      if (!healthy) this.#begin(this.#want);
    }, delay);
  }

  #drop(slot: Slot): void {
    slot.stopFrames?.();
    slot.stopFrames = null;
    for (const off of slot.offs) off();
    slot.offs = [];
    slot.stream?.close();
    slot.stream = null;
    if (this.#owner[slot.index] === slot) {
      this.#owner[slot.index] = null;
      const video = this.#o.videos[slot.index];
      // With one element for both slots, the other slot may be playing in it now.
      const other = this.#owner[slot.index === 0 ? 1 : 0];
      if (!other || this.#o.videos[other.index] !== video) video.srcObject = null;
    }
  }

  #tick(): void {
    if (this.#closed) return;
    const now = performance.now();
    const front = this.#front;
    if (front) {
      // The stream flows while the video decodes frames (a busy page may present only some).
      const decoded = this.#o.videos[front.index].getVideoPlaybackQuality().totalVideoFrames;
      if (decoded !== front.decoded) {
        front.decoded = decoded;
        front.lastFrameAt = Math.max(front.lastFrameAt, now);
      }
      const silentMs = now - front.lastFrameAt;
      const streamState = front.stream?.state;
      const stalled = silentMs > this.#stallMs || streamState !== 'live' || this.#remoteStalled;
      this.#set({ stalled });
      if (!stalled && this.#view.error && this.#view.state === 'live') this.#set({ error: null });
      // No picture for a while — the source stalled, the node dropped the stream, or the client
      // is still resubscribing: start it again behind the last picture (a new token also makes
      // the gateway ensure the ingest); whichever stream shows a frame first stays.
      if (silentMs > this.#restartMs && streamState !== 'failed' && !this.#pending) {
        this.#attempts++;
        this.#begin(this.#want);
      }
    }
    // Not showing anything yet and the node reports the source offline: say so while retrying.
    if (!front && this.#remoteStalled && this.#view.state === 'connecting' && !this.#view.error) {
      this.#set({ error: { code: 'stream:offline', message: 'the media node cannot reach the camera' } });
    }
    const pending = this.#pending;
    if (pending?.stream && now - pending.startedAt > PENDING_TIMEOUT_MS) {
      this.#pending = null;
      this.#failed(pending, new LiveViewerError('client:timeout', 'no picture from the stream'));
    }
  }
}
