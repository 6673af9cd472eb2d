// @vitest-environment happy-dom
import type { StreamProfile } from '@wall/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveViewerError } from './errors';
import { type GrantSource, type LiveGrant, LivePlayer, type LiveView, permanentCode } from './player';
import type { LiveStream, LiveStreamState, LiveViewer } from './viewer-client';
import type { ViewerPool } from './viewer-pool';

// The player against fakes of what it drives: a pool whose viewer plays fake streams, and <video>
// elements (happy-dom) whose frames the test presents.

class FakeStream implements LiveStream {
  state: LiveStreamState = 'live';
  error: LiveViewerError | undefined;
  resubscriptions = 0;
  closed = false;
  track = { id: `track-${Math.random()}` } as unknown as MediaStreamTrack;
  readonly stateCbs = new Set<(s: LiveStreamState, e?: LiveViewerError) => void>();
  readonly trackCbs = new Set<(t: MediaStreamTrack) => void>();
  constructor(
    readonly token: string,
    readonly cameraId: string,
    readonly profile: StreamProfile,
    readonly refreshToken: (() => Promise<string>) | undefined,
  ) {}
  onTrack(cb: (t: MediaStreamTrack) => void) {
    this.trackCbs.add(cb);
    return () => this.trackCbs.delete(cb);
  }
  onStateChange(cb: (s: LiveStreamState, e?: LiveViewerError) => void) {
    this.stateCbs.add(cb);
    return () => this.stateCbs.delete(cb);
  }
  set(state: LiveStreamState, error?: LiveViewerError) {
    this.state = state;
    if (error) this.error = error;
    if (state === 'resubscribing') this.resubscriptions++;
    for (const cb of [...this.stateCbs]) cb(state, error);
  }
  retry() {}
  close() {
    this.closed = true;
    this.state = 'closed';
  }
}

/** A video whose presented frames the test drives (`present`). */
function fakeVideo(): HTMLVideoElement & { present(): void; decoded: number } {
  const v = document.createElement('video') as HTMLVideoElement & { present(): void; decoded: number };
  const pending = new Map<number, () => void>();
  let seq = 0;
  v.decoded = 0;
  Object.defineProperty(v, 'srcObject', { value: null, writable: true });
  v.play = async () => undefined;
  v.requestVideoFrameCallback = (cb) => {
    const id = ++seq;
    pending.set(id, () => cb(performance.now(), {} as VideoFrameCallbackMetadata));
    return id;
  };
  v.cancelVideoFrameCallback = (id) => {
    pending.delete(id);
  };
  v.getVideoPlaybackQuality = () => ({ totalVideoFrames: v.decoded }) as VideoPlaybackQuality;
  v.present = () => {
    v.decoded++;
    const cbs = [...pending.values()];
    pending.clear();
    for (const cb of cbs) cb();
  };
  return v;
}

function setup(o: { renewable?: boolean; failPlay?: (n: number) => unknown } = {}) {
  const grants: { profile: StreamProfile; refresh: boolean }[] = [];
  const streams: FakeStream[] = [];
  let plays = 0;
  const source: GrantSource = {
    ...(o.renewable === false ? { renewable: false } : {}),
    live: async (_cam, profile, opts) => {
      grants.push({ profile, refresh: opts?.refresh === true });
      return {
        token: `tok-${profile}-${grants.length}`,
        nodeUrl: 'http://node:4000/',
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
        emergency: false,
      } satisfies LiveGrant;
    },
  };
  const viewer = {
    play: async (token: string, opts: { refreshToken?: () => Promise<string> }) => {
      plays++;
      const err = o.failPlay?.(plays);
      if (err) throw err;
      const profile = token.includes('main') ? 'main' : 'sub';
      const s = new FakeStream(token, 'cam01', profile, opts.refreshToken);
      streams.push(s);
      return s;
    },
  } as unknown as LiveViewer;
  const connects: string[] = [];
  const pool = {
    connect: async (nodeUrl: string) => {
      connects.push(nodeUrl);
      return viewer;
    },
  } as unknown as ViewerPool;
  const a = fakeVideo();
  const b = fakeVideo();
  const views: LiveView[] = [];
  const player = new LivePlayer({
    cameraId: 'cam01',
    source,
    pool,
    videos: [a, b],
    onView: (v) => views.push(v),
  });
  return { player, grants, streams, connects, a, b, views, plays: () => plays };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

describe('LivePlayer', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
    });
    vi.stubGlobal(
      'MediaStream',
      class {
        constructor(readonly tracks: MediaStreamTrack[]) {}
      },
    );
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('shows the snapshot at once, then goes live on the first decoded frame', async () => {
    const { player, a, views, connects } = setup();
    player.setProfile('sub');
    await settle();
    expect(player.view.state).toBe('connecting');
    expect(player.view.snapshotUrl).toBe('http://node:4000/snapshot/cam01?profile=sub&token=tok-sub-1');
    expect(connects).toEqual(['http://node:4000/']);
    expect(a.srcObject).not.toBeNull();
    a.present();
    expect(player.view).toMatchObject({
      state: 'live',
      profile: 'sub',
      snapshotUrl: null,
      stalled: false,
      front: 0,
    });
    expect(views.at(-1)?.state).toBe('live');
    player.close();
  });

  it('no frame for 3 s → stalled; frames again → recovered', async () => {
    const { player, a } = setup();
    player.setProfile('sub');
    await settle();
    a.present();
    await vi.advanceTimersByTimeAsync(2500);
    expect(player.view.stalled).toBe(false);
    await vi.advanceTimersByTimeAsync(1500);
    expect(player.view.stalled).toBe(true);
    expect(player.view.state).toBe('live');
    a.decoded++;
    await vi.advanceTimersByTimeAsync(500);
    expect(player.view.stalled).toBe(false);
    player.close();
  });

  it('a stream still silent after 8 s is started again behind the last picture', async () => {
    const { player, a, b, grants, streams } = setup();
    player.setProfile('sub');
    await settle();
    a.present();
    await vi.advanceTimersByTimeAsync(8600);
    expect(grants).toHaveLength(2);
    expect(streams).toHaveLength(2);
    expect(b.srcObject).not.toBeNull();
    // The old one stays in front until the new one shows a frame.
    expect(player.view.front).toBe(0);
    b.present();
    expect(player.view).toMatchObject({ front: 1, stalled: false, state: 'live' });
    await vi.advanceTimersByTimeAsync(300);
    expect(streams[0]?.closed).toBe(true);
    expect(a.srcObject).toBeNull();
    player.close();
  });

  it('the live client resubscribing counts, shows stalled, and recovers', async () => {
    const { player, a, streams } = setup();
    player.setProfile('sub');
    await settle();
    a.present();
    streams[0]?.set('resubscribing');
    expect(player.view.stalled).toBe(true);
    expect(player.view.resubscriptions).toBe(1);
    streams[0]?.set('live');
    a.decoded++;
    await vi.advanceTimersByTimeAsync(500);
    expect(player.view.stalled).toBe(false);
    player.close();
  });

  it('a profile change starts the new stream behind and swaps on its first frame', async () => {
    const { player, a, b, streams, grants } = setup();
    player.setProfile('sub');
    await settle();
    a.present();
    player.setProfile('main');
    await settle();
    expect(grants.map((g) => g.profile)).toEqual(['sub', 'main']);
    expect(player.view).toMatchObject({ profile: 'sub', front: 0 });
    b.present();
    expect(player.view).toMatchObject({ profile: 'main', front: 1, state: 'live' });
    expect(streams[0]?.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(300);
    expect(streams[0]?.closed).toBe(true);
    player.close();
  });

  it('a profile asked for again while it starts is not started twice', async () => {
    const { player, grants } = setup();
    player.setProfile('sub');
    player.setProfile('sub');
    await settle();
    expect(grants).toHaveLength(1);
    player.close();
  });

  it('a revocation drops the picture and shows the reason (denied)', async () => {
    const { player, a, streams } = setup();
    player.setProfile('sub');
    await settle();
    a.present();
    streams[0]?.set(
      'failed',
      new LiveViewerError('revoked:signed_out', 'the stream was stopped: signed_out'),
    );
    expect(player.view).toMatchObject({
      state: 'denied',
      error: { code: 'revoked:signed_out' },
      stalled: false,
    });
    expect(streams[0]?.closed).toBe(true);
    expect(a.srcObject).toBeNull();
    // Final: nothing is started again.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(streams).toHaveLength(1);
    player.close();
  });

  it('a refused grant is final: denied with the code, no retry', async () => {
    const { player, grants } = setup({
      failPlay: () => new LiveViewerError('forbidden:grade', 'grade too high'),
    });
    player.setProfile('sub');
    await settle();
    expect(player.view).toMatchObject({ state: 'denied', error: { code: 'forbidden:grade' } });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(grants).toHaveLength(1);
    player.close();
  });

  it('a transient failure retries with backoff (1 s, 2 s, …) and turns to error after 3 attempts', async () => {
    const { player, a, plays } = setup({
      failPlay: (n) => (n <= 3 ? new LiveViewerError('stream:offline', 'offline') : undefined),
    });
    player.setProfile('sub');
    await settle();
    expect(player.view).toMatchObject({ state: 'connecting', error: { code: 'stream:offline' } });
    await vi.advanceTimersByTimeAsync(999);
    expect(plays()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(plays()).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(plays()).toBe(3);
    expect(player.view.state).toBe('error');
    await vi.advanceTimersByTimeAsync(4000);
    expect(plays()).toBe(4);
    a.present();
    expect(player.view).toMatchObject({ state: 'live', error: null });
    player.close();
  });

  it('renews through the source (refresh: true) when renewable', async () => {
    const { player, streams, grants } = setup();
    player.setProfile('sub');
    await settle();
    expect(await streams[0]?.refreshToken?.()).toBe('tok-sub-2');
    expect(grants.at(-1)).toEqual({ profile: 'sub', refresh: true });
    player.close();
  });

  it('a fixed token (not renewable): no renewal, and a token refusal is final', async () => {
    const { player, streams, grants } = setup({ renewable: false });
    player.setProfile('sub');
    await settle();
    expect(streams[0]?.refreshToken).toBeUndefined();
    player.close();
    const second = setup({
      renewable: false,
      failPlay: () => new LiveViewerError('token:expired', 'expired'),
    });
    second.player.setProfile('sub');
    await settle();
    expect(second.player.view).toMatchObject({ state: 'error', error: { code: 'token:expired' } });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(second.grants).toHaveLength(1);
    expect(grants).toHaveLength(1);
    second.player.close();
  });

  it('one element for both slots: a restart does not blank the picture it just started', async () => {
    const v = fakeVideo();
    const streams: FakeStream[] = [];
    const player = new LivePlayer({
      cameraId: 'cam01',
      source: {
        live: async (_c, profile) => ({
          token: `t-${profile}`,
          nodeUrl: 'http://n',
          expiresAt: '',
          emergency: false,
        }),
      },
      pool: {
        connect: async () => ({
          play: async (token: string) => {
            const s = new FakeStream(token, 'cam01', 'sub', undefined);
            streams.push(s);
            return s;
          },
        }),
      } as unknown as ViewerPool,
      videos: [v, v],
      onView: () => undefined,
    });
    player.setProfile('sub');
    await settle();
    v.present();
    await vi.advanceTimersByTimeAsync(8600);
    expect(streams).toHaveLength(2);
    v.present();
    await vi.advanceTimersByTimeAsync(300);
    expect(streams[0]?.closed).toBe(true);
    expect(v.srcObject).not.toBeNull();
    player.close();
    expect(v.srcObject).toBeNull();
  });

  it('close() is idempotent, stops the streams and reports nothing more', async () => {
    const { player, a, streams, views } = setup();
    player.setProfile('sub');
    await settle();
    a.present();
    const n = views.length;
    player.close();
    player.close();
    expect(streams[0]?.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(views).toHaveLength(n);
  });
});

describe('permanentCode', () => {
  it.each([
    ['forbidden:grade', true, true],
    ['not_found:camera', true, true],
    ['revoked:grant_ended', true, true],
    ['unauthenticated', true, true],
    ['stream:unsupported_codec', true, true],
    ['client:unsupported', true, true],
    ['stream:offline', false, false],
    ['client:timeout', false, false],
    ['token:expired', false, true],
    ['token:signature', false, true],
  ] as const)('%s: final with a renewable source %s, with a fixed token %s', (code, renewable, fixed) => {
    expect(permanentCode(code, true)).toBe(renewable);
    expect(permanentCode(code, false)).toBe(fixed);
  });
});
