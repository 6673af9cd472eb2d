// @vitest-environment happy-dom
import type { PlaybackAnswer } from '@wall/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HLS_EVENTS,
  type HlsErrorLike,
  type HlsFactory,
  type HlsLike,
  type PlaybackGrantRequest,
  PlaybackPlayer,
  type PlaybackView,
} from './player';

// The player against a fake hls.js (the test plays the playlist's events) and a happy-dom <video>
// whose presented frames the test announces (requestVideoFrameCallback).

const NOW = Date.parse('2026-12-08T03:00:00.000Z');
const T0 = NOW - 20 * 60_000; // the playlist's first segment
const SEG = [
  { start: 0, duration: 2, programDateTime: T0 },
  { start: 2, duration: 2, programDateTime: T0 + 2000 },
  { start: 4, duration: 2, programDateTime: T0 + 10_000 }, // after an 6 s gap
];

class FakeHls implements HlsLike {
  readonly listeners = new Map<string, ((e: string, d: never) => void)[]>();
  source: string | undefined;
  media: HTMLMediaElement | undefined;
  started: number[] = [];
  stopped = 0;
  destroyed = 0;
  recovered = 0;
  constructor(readonly config: Record<string, unknown>) {}
  loadSource(url: string) {
    this.source = url;
  }
  attachMedia(media: HTMLMediaElement) {
    this.media = media;
  }
  startLoad(pos?: number) {
    this.started.push(pos ?? -1);
  }
  stopLoad() {
    this.stopped++;
  }
  recoverMediaError() {
    this.recovered++;
  }
  destroy() {
    this.destroyed++;
  }
  on(event: string, listener: (e: string, d: never) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  emit(event: string, data: unknown) {
    for (const l of this.listeners.get(event) ?? []) l(event, data as never);
  }
  /** The URL a segment request opens (through the config's xhrSetup). */
  opened(url: string): string {
    let got = '';
    const xhrSetup = this.config.xhrSetup as (xhr: XMLHttpRequest, url: string) => void;
    xhrSetup({ open: (_m: string, u: string) => (got = u) } as unknown as XMLHttpRequest, url);
    return got;
  }
}

function answer(token: string, patch: Partial<PlaybackAnswer> = {}): PlaybackAnswer {
  return {
    playlistUrl: `/api/playback/playlist.m3u8?token=${token}`,
    token,
    nodeUrl: 'http://127.0.0.1:4100',
    expiresAt: new Date(NOW + 60_000).toISOString(),
    emergency: false,
    from: new Date(T0).toISOString(),
    to: new Date(NOW).toISOString(),
    codec: 'h264',
    transcoded: false,
    segments: 3,
    ...patch,
  };
}

describe('PlaybackPlayer', () => {
  let video: HTMLVideoElement;
  let paused: boolean;
  let frame: ((now: number, meta: { mediaTime: number }) => void) | null;
  let hlsList: FakeHls[];
  let requests: PlaybackGrantRequest[];
  let answers: (PlaybackAnswer | Error)[];
  let views: PlaybackView[];
  let frames: number[];
  let player: PlaybackPlayer;

  const factory: HlsFactory = {
    isSupported: () => true,
    create: (config) => {
      const h = new FakeHls(config as Record<string, unknown>);
      hlsList.push(h);
      return h;
    },
  };
  const present = (mediaTime: number) => {
    const cb = frame;
    frame = null;
    cb?.(performance.now(), { mediaTime });
  };
  const last = () => views.at(-1);

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    video = document.createElement('video');
    frame = null;
    Object.assign(video, {
      requestVideoFrameCallback: (cb: typeof frame) => {
        frame = cb;
        return 1;
      },
      cancelVideoFrameCallback: () => {
        frame = null;
      },
      play: () => {
        paused = false;
        return Promise.resolve();
      },
      pause: () => {
        paused = true;
      },
    });
    paused = true;
    Object.defineProperty(video, 'paused', { get: () => paused });
    hlsList = [];
    requests = [];
    answers = [];
    views = [];
    frames = [];
    player = new PlaybackPlayer({
      cameraId: 'cam-1',
      profile: 'sub',
      video,
      gatewayUrl: 'http://127.0.0.1:4000',
      source: {
        playback: async (_cam, req) => {
          requests.push(req);
          const a = answers.shift() ?? answer('t-default');
          if (a instanceof Error) throw a;
          return a;
        },
      },
      onView: (v) => views.push(v),
      onFrame: (w) => frames.push(w),
      hls: async () => factory,
    });
  });

  afterEach(() => {
    player.destroy();
    vi.useRealTimers();
  });

  async function startAt(wall: number, a = answer('t1')): Promise<FakeHls> {
    answers.push(a);
    await player.play(wall);
    const h = hlsList.at(-1);
    if (!h) throw new Error('no hls made');
    h.emit(HLS_EVENTS.levelLoaded, { details: { fragments: SEG } });
    return h;
  }

  it('asks for a window around the time, loads the playlist and starts at the mapped media time', async () => {
    const h = await startAt(T0 + 3250);
    expect(requests).toEqual([
      {
        profile: 'sub',
        from: new Date(T0 + 3250 - 10 * 60_000).toISOString(),
        to: new Date(NOW).toISOString(), // T + 50 min is in the future: now
      },
    ]);
    expect(h.source).toBe('http://127.0.0.1:4000/api/playback/playlist.m3u8?token=t1');
    expect(h.media).toBe(video);
    expect(h.config).toMatchObject({ autoStartLoad: false, enableWorker: false });
    expect(h.started).toEqual([3.25]);
    expect(video.currentTime).toBe(3.25);
    expect(last()?.state).toBe('loading');

    present(3.25);
    expect(last()?.state).toBe('playing');
    expect(player.presentedTime()).toBe(T0 + 3250);
    present(4.5);
    expect(player.presentedTime()).toBe(T0 + 10_500); // across the gap
    expect(frames).toEqual([T0 + 3250, T0 + 10_500]);
  });

  it('seeks inside the loaded window without asking again, to the next recorded moment in a gap', async () => {
    const h = await startAt(T0 + 1000);
    present(1);
    await player.play(T0 + 5000); // in the gap
    expect(requests).toHaveLength(1);
    expect(hlsList).toEqual([h]);
    expect(video.currentTime).toBe(4);
    expect(last()).toMatchObject({ state: 'loading', skippedGap: true });
    present(4);
    expect(last()).toMatchObject({ state: 'playing' });
  });

  it('opens a new playback for a time outside the window (the old one destroyed)', async () => {
    const h = await startAt(T0 + 1000);
    await startAt(T0 - 3 * 60 * 60_000, answer('t2'));
    expect(requests).toHaveLength(2);
    expect(h.destroyed).toBe(1);
    expect(hlsList).toHaveLength(2);
  });

  it('renews the token before it expires and puts the newest one on every segment request', async () => {
    const h = await startAt(T0 + 1000);
    const seg = 'http://127.0.0.1:4100/playback/media/cam-1/sub/a.m4s?off=2000&sha=ab&token=t1';
    expect(h.opened(seg)).toBe(seg);
    answers.push(answer('t2', { expiresAt: new Date(NOW + 120_000).toISOString() }));
    await vi.advanceTimersByTimeAsync(60_000 - 15_000 - 1);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests.at(-1)).toMatchObject({ refresh: true, profile: 'sub' });
    expect(requests.at(-1)?.from).toBe(requests[0]?.from);
    expect(h.opened(seg)).toBe(seg.replace('token=t1', 'token=t2'));
    // URLs without a token (none in our playlists) are left alone.
    expect(h.opened('http://127.0.0.1:4100/x')).toBe('http://127.0.0.1:4100/x');
  });

  it('says a segment is damaged (409 recording:damaged) and stops: nothing else is played', async () => {
    const h = await startAt(T0 + 1000);
    present(1);
    const xhr = new XMLHttpRequest();
    Object.defineProperty(xhr, 'responseType', { value: 'arraybuffer' });
    Object.defineProperty(xhr, 'response', {
      value: new TextEncoder().encode(
        JSON.stringify({ code: 'recording:damaged', message: 'checksum differs' }),
      ).buffer,
    });
    const err: HlsErrorLike = {
      type: 'networkError',
      details: 'fragLoadError',
      fatal: true,
      response: { code: 409 },
      networkDetails: xhr,
      frag: SEG[1],
    };
    h.emit(HLS_EVENTS.error, err);
    expect(last()).toMatchObject({
      state: 'damaged',
      error: { code: 'recording:damaged', message: 'checksum differs' },
      damaged: { from: T0 + 2000, to: T0 + 4000 },
    });
    expect(h.stopped).toBe(1);
    expect(video.paused).toBe(true);
  });

  it('takes a 409 without a readable body as damaged too', async () => {
    const h = await startAt(T0 + 1000);
    h.emit(HLS_EVENTS.error, {
      type: 'networkError',
      details: 'fragLoadError',
      fatal: true,
      response: { code: 409 },
      frag: SEG[2],
    });
    expect(last()).toMatchObject({ state: 'damaged', damaged: { from: T0 + 10_000, to: T0 + 12_000 } });
  });

  it('shows a refusal (forbidden:retrieval) as denied and makes no player', async () => {
    answers.push(Object.assign(new Error('no retrieval right'), { code: 'forbidden:retrieval' }));
    await player.play(T0);
    expect(last()).toMatchObject({
      state: 'denied',
      error: { code: 'forbidden:retrieval', message: 'no retrieval right' },
    });
    expect(hlsList).toHaveLength(0);
  });

  it('says when nothing is recorded in the range', async () => {
    answers.push(answer('t1', { segments: 0, codec: null }));
    await player.play(T0);
    expect(last()).toMatchObject({ state: 'error', error: { code: 'playback:not_recorded' } });
    expect(hlsList).toHaveLength(0);
  });

  it('notes a transcoded (H.265) recording and an emergency grant', async () => {
    await startAt(T0 + 1000, answer('t1', { codec: 'h265', transcoded: true, emergency: true }));
    expect(last()).toMatchObject({ codec: 'h265', transcoded: true, emergency: true });
  });

  it.each([
    [0.5, 0.5],
    [3, 2],
    [8, 8],
    [20, 8],
    [0.1, 0.5],
  ])('speed %s → %s×', (asked, speed) => {
    player.setSpeed(asked);
    expect(video.playbackRate).toBe(speed);
    expect(player.view.speed).toBe(speed);
  });

  it('recovers a media error twice, then reports it; destroy is idempotent', async () => {
    const h = await startAt(T0 + 1000);
    const media = { type: 'mediaError', details: 'bufferAppendError', fatal: true };
    h.emit(HLS_EVENTS.error, media);
    h.emit(HLS_EVENTS.error, media);
    expect(h.recovered).toBe(2);
    h.emit(HLS_EVENTS.error, media);
    expect(last()).toMatchObject({ state: 'error', error: { code: 'client:media' } });
    expect(h.destroyed).toBe(1);
    player.destroy();
    player.destroy();
    expect(h.destroyed).toBe(1);
  });
});
