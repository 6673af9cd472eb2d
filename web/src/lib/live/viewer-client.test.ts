import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Only the boundary is faked: socket.io-client's `io()` gives an in-memory socket whose server side
// the test plays, and mediasoup-client's Device gives transports and consumers without WebRTC.

type Ack = (err: Error | null, res: unknown) => void;
type Handler = (payload: Record<string, unknown>) => unknown;

class FakeSocket {
  connected = false;
  active = false;
  readonly listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  readonly emitted: { event: string; payload: unknown }[] = [];
  /** The server's answers, by request event: a value (ok), or a thrown `{ code }` (nack). */
  readonly server = new Map<string, Handler>();
  /** What the handshake answers: undefined = accepted, else refused with this code. */
  refuseHandshake: string | undefined;
  readonly handshakeTokens: string[] = [];

  constructor(readonly opts: { auth: (cb: (data: { token: string }) => void) => void }) {}

  on(event: string, cb: (...a: unknown[]) => void) {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(cb);
    return this;
  }
  off(event: string, cb: (...a: unknown[]) => void) {
    this.listeners.get(event)?.delete(cb);
    return this;
  }
  removeAllListeners() {
    this.listeners.clear();
    return this;
  }
  fire(event: string, ...args: unknown[]) {
    for (const cb of [...(this.listeners.get(event) ?? [])]) cb(...args);
  }
  connect() {
    this.active = true;
    // An unreachable node: the manager keeps trying, nothing comes back.
    if (unreachable) return this;
    this.opts.auth(({ token }) => {
      this.handshakeTokens.push(token);
      queueMicrotask(() => {
        if (this.refuseHandshake) {
          this.active = false;
          this.fire(
            'connect_error',
            Object.assign(new Error('refused'), { data: { code: this.refuseHandshake } }),
          );
        } else {
          this.connected = true;
          this.fire('connect');
        }
      });
    });
    return this;
  }
  disconnect() {
    const was = this.connected;
    this.connected = false;
    this.active = false;
    if (was) this.fire('disconnect', 'io client disconnect');
    return this;
  }
  /** The node drops the connection (the client's manager would reconnect: the test calls connect()). */
  drop(reason = 'transport close') {
    this.connected = false;
    this.fire('disconnect', reason);
  }
  timeout(_ms: number) {
    return {
      emit: (event: string, ...args: unknown[]) => {
        const ack = args.pop() as Ack;
        const payload = (args[0] ?? {}) as Record<string, unknown>;
        this.emitted.push({ event, payload });
        const handler = this.server.get(event);
        queueMicrotask(() => {
          if (!handler) return ack(null, { ok: true, data: {} });
          try {
            ack(null, { ok: true, data: handler(payload) });
          } catch (e) {
            ack(null, { ok: false, error: e });
          }
        });
      },
    };
  }
  requests(event: string) {
    return this.emitted.filter((e) => e.event === event);
  }
}

class FakeConsumer {
  closed = false;
  readonly track: MediaStreamTrack;
  constructor(readonly id: string) {
    this.track = { id: `track-${id}` } as unknown as MediaStreamTrack;
  }
  close() {
    this.closed = true;
  }
}

class FakeTransport {
  closed = false;
  readonly consumers: FakeConsumer[] = [];
  constructor(readonly id: string) {}
  on() {}
  async consume({ id }: { id: string }) {
    const c = new FakeConsumer(id);
    this.consumers.push(c);
    return c;
  }
  close() {
    this.closed = true;
    for (const c of this.consumers) c.close();
  }
}

const sockets: FakeSocket[] = [];
let unreachable = false;
let transports = 0;

vi.mock('socket.io-client', () => ({
  io: (_url: string, opts: ConstructorParameters<typeof FakeSocket>[0]) => {
    const s = new FakeSocket(opts);
    sockets.push(s);
    return s;
  },
}));

vi.mock('mediasoup-client', () => ({
  Device: class {
    loaded = false;
    rtpCapabilities = { codecs: [] };
    async load() {
      this.loaded = true;
    }
    createRecvTransport({ id }: { id: string }) {
      return new FakeTransport(id);
    }
  },
}));

const { LiveViewer } = await import('./viewer-client');
type Viewer = InstanceType<typeof LiveViewer>;

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const token = (cam: string, expS: number) =>
  `${b64url('{"alg":"EdDSA"}')}.${b64url(JSON.stringify({ cam, prof: 'sub', exp: expS }))}.sig`;

let consumerSeq = 0;
/** A node that accepts everything; returns the socket for the test to steer. */
function node(s: FakeSocket) {
  s.server.set('router:capabilities', () => ({ rtpCapabilities: { codecs: [] } }));
  s.server.set('transport:create', () => ({
    id: `tr-${++transports}`,
    iceParameters: {},
    iceCandidates: [],
    dtlsParameters: {},
  }));
  s.server.set('stream:consume', () => ({
    consumerId: `c${++consumerSeq}`,
    producerId: 'p1',
    cameraId: 'cam01',
    profile: 'sub',
    kind: 'video',
    rtpParameters: {},
  }));
  return s;
}

const flush = async (n = 20) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

async function connected(viewer: Viewer, t: string): Promise<FakeSocket> {
  const p = viewer.connect('http://node:4000/', t);
  const s = sockets.at(-1);
  if (!s) throw new Error('no socket');
  node(s);
  await p;
  return s;
}

describe('LiveViewer', () => {
  let viewer: Viewer;
  const events: { type: string }[] = [];
  const backoffs: number[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    sockets.length = 0;
    events.length = 0;
    backoffs.length = 0;
    viewer = new LiveViewer({
      maxAttempts: 4,
      backoffMs: (n) => {
        backoffs.push(n);
        return n * 100;
      },
      onEvent: (e) => events.push(e),
    });
  });
  afterEach(() => {
    viewer.close();
    vi.useRealTimers();
  });

  const nowS = () => Math.floor(Date.now() / 1000);

  it('connects with the token, plays, and reports the stream live', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    expect(s.handshakeTokens).toEqual([t]);
    const stream = await viewer.play(t);
    expect(stream.state).toBe('live');
    expect(stream.cameraId).toBe('cam01');
    expect(s.requests('stream:consume')).toHaveLength(1);
    expect(s.requests('stream:resume')).toEqual([
      { event: 'stream:resume', payload: { consumerId: 'c' + consumerSeq } },
    ]);
  });

  it('a refused handshake rejects with the node code and forgets the socket', async () => {
    const p = viewer.connect('http://node:4000', 'bad');
    const s = sockets[0];
    if (!s) throw new Error('no socket');
    s.refuseHandshake = 'token:signature';
    await expect(p).rejects.toMatchObject({ code: 'token:signature' });
    // The next connect makes a new socket.
    const again = viewer.connect('http://node:4000', 'good');
    expect(sockets).toHaveLength(2);
    node(sockets[1] as FakeSocket);
    await again;
    expect(viewer.connected).toBe(true);
  });

  it('an unreachable node times out with client:timeout', async () => {
    unreachable = true;
    const slow = new LiveViewer({ connectTimeoutMs: 1000 });
    try {
      const p = slow.connect('http://node:4000', 't');
      const failed = expect(p).rejects.toMatchObject({ code: 'client:timeout' });
      await vi.advanceTimersByTimeAsync(999);
      expect(slow.connected).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await failed;
    } finally {
      unreachable = false;
      slow.close();
    }
  });

  it('a refused consume (not transient) fails at once, without retries', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    s.server.set('stream:consume', () => {
      throw { code: 'token:node', message: 'wrong node' };
    });
    await expect(viewer.play(t)).rejects.toMatchObject({ code: 'token:node' });
    expect(s.requests('stream:consume')).toHaveLength(1);
    expect(backoffs).toEqual([]);
  });

  it('a transient refusal is retried with growing pauses, then succeeds', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    let n = 0;
    const consume = s.server.get('stream:consume') as Handler;
    s.server.set('stream:consume', (p) => {
      n++;
      if (n < 3) throw { code: 'stream:not_ingested', message: 'not yet' };
      return consume(p);
    });
    const playing = viewer.play(t);
    await vi.advanceTimersByTimeAsync(100);
    expect(n).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    const stream = await playing;
    expect(n).toBe(3);
    expect(backoffs).toEqual([1, 2]);
    expect(stream.state).toBe('live');
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });

  it('gives up after maxAttempts with the last code', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    s.server.set('stream:consume', () => {
      throw { code: 'stream:offline', message: 'camera offline' };
    });
    const playing = viewer.play(t);
    const failed = expect(playing).rejects.toMatchObject({ code: 'stream:offline' });
    await vi.advanceTimersByTimeAsync(100 + 200 + 300);
    await failed;
    expect(s.requests('stream:consume')).toHaveLength(4);
    expect(backoffs).toEqual([1, 2, 3]);
  });

  it('stream:interrupted resubscribes the stream and announces the new track', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    const stream = await viewer.play(t);
    const first = stream.track;
    const states: string[] = [];
    const tracks: MediaStreamTrack[] = [];
    stream.onStateChange((st) => states.push(st));
    stream.onTrack((tr) => tracks.push(tr));
    s.fire('stream:interrupted', {
      consumerId: `c${consumerSeq}`,
      cameraId: 'cam01',
      profile: 'sub',
      reason: 'producer_closed',
    });
    await flush();
    expect(states).toEqual(['resubscribing', 'live']);
    expect(stream.resubscriptions).toBe(1);
    expect(tracks).toHaveLength(1);
    expect(tracks[0]).not.toBe(first);
    expect(stream.track).toBe(tracks[0]);
    expect(s.requests('stream:consume')).toHaveLength(2);
  });

  it('a dropped socket resubscribes every stream once it is back', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    const a = await viewer.play(t);
    const b = await viewer.play(t);
    s.drop();
    expect(a.state).toBe('resubscribing');
    expect(b.state).toBe('resubscribing');
    s.connect();
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.state).toBe('live');
    expect(b.state).toBe('live');
    expect(s.requests('transport:create')).toHaveLength(2);
    expect(s.requests('stream:consume')).toHaveLength(4);
  });

  it('stream:revoked ends the stream for good with revoked:<reason>, and does not resubscribe', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    const stream = await viewer.play(t);
    const errors: (string | undefined)[] = [];
    stream.onStateChange((st, err) => errors.push(`${st}:${err?.code}`));
    s.fire('stream:revoked', { consumerId: `c${consumerSeq}`, reason: 'signed_out' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(stream.state).toBe('failed');
    expect(stream.error?.code).toBe('revoked:signed_out');
    expect(errors).toEqual(['failed:revoked:signed_out']);
    expect(s.requests('stream:consume')).toHaveLength(1);
  });

  it('a revocation for another consumer leaves the stream alone', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    const stream = await viewer.play(t);
    s.fire('stream:revoked', { consumerId: 'someone-else', reason: 'signed_out' });
    expect(stream.state).toBe('live');
  });

  it('renews the token 20 s before it expires and hands it to the node', async () => {
    const t = token('cam01', nowS() + 60);
    const fresh = token('cam01', nowS() + 120);
    const s = await connected(viewer, t);
    const refreshToken = vi.fn(async () => fresh);
    await viewer.play(t, { refreshToken });
    await vi.advanceTimersByTimeAsync(39_000);
    expect(refreshToken).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_500);
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(s.requests('stream:refresh')).toEqual([
      { event: 'stream:refresh', payload: { consumerId: `c${consumerSeq}`, token: fresh } },
    ]);
  });

  it('a renewal the gateway refuses ends the stream with its code', async () => {
    const t = token('cam01', nowS() + 60);
    const s = await connected(viewer, t);
    const stream = await viewer.play(t, {
      refreshToken: async () => {
        throw { code: 'forbidden:grade', message: 'no longer' };
      },
    });
    await vi.advanceTimersByTimeAsync(41_000);
    expect(stream.state).toBe('failed');
    expect(stream.error?.code).toBe('forbidden:grade');
    expect(s.requests('stream:close')).toHaveLength(1);
  });

  it('an expired token is renewed before the stream is subscribed again', async () => {
    const t = token('cam01', nowS() + 60);
    const fresh = token('cam01', nowS() + 200);
    const s = await connected(viewer, t);
    const stream = await viewer.play(t, { refreshToken: async () => fresh });
    // The renewal timer is the node's business here: the stream is interrupted after expiry.
    s.server.set('stream:refresh', () => {
      throw { code: 'unavailable:dependency', message: 'later' };
    });
    vi.setSystemTime(Date.now() + 70_000);
    s.fire('stream:interrupted', { consumerId: `c${consumerSeq}`, reason: 'producer_closed' });
    await flush();
    expect(stream.state).toBe('live');
    expect(s.requests('stream:consume').at(-1)?.payload).toMatchObject({ token: fresh });
  });

  it('close() is idempotent and stops every stream', async () => {
    const t = token('cam01', nowS() + 60);
    await connected(viewer, t);
    const stream = await viewer.play(t);
    viewer.close();
    viewer.close();
    expect(stream.state).toBe('closed');
    expect(viewer.closed).toBe(true);
    await expect(viewer.play(t)).rejects.toMatchObject({ code: 'client:closed' });
  });
});
