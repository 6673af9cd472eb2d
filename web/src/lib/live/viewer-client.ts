import {
  type ConsumeResult,
  type TransportInfo,
  VIEWER_NAMESPACE,
  type ViewerClientToServerEvents,
  type ViewerServerToClientEvents,
} from '@wall/protocol';
import { Device, type types as ms } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import { errorBodyOf, type LiveErrorCode, LiveViewerError, toLiveViewerError } from './errors';
import { peekStreamToken, tokenLooksExpired } from './token';

export { LiveViewerError } from './errors';

/**
 * Browser-side live view of a media node (mediasoup SFU), over its `/viewer` socket.io namespace:
 * one socket and one lazily created WebRTC receive transport per page, one consumer per played
 * stream. A broken stream (`stream:interrupted`, a dropped socket, a failed ICE/DTLS transport)
 * is subscribed again by itself, with bounded retries and backoff; the new track is announced
 * through `LiveStream.onTrack`.
 */

export type StreamProfile = 'main' | 'sub';

export type LiveStreamState = 'live' | 'resubscribing' | 'failed' | 'closed';

export interface LiveStream {
  /** The current video track; it changes after a resubscription (see `onTrack`). */
  readonly track: MediaStreamTrack;
  readonly cameraId: string;
  readonly profile: StreamProfile;
  readonly state: LiveStreamState;
  /** Why the stream failed (state `failed`), or the last error a retry recovered from. */
  readonly error: LiveViewerError | undefined;
  /** How many times the stream has been subscribed again after an interruption. */
  readonly resubscriptions: number;
  /** Called with each new track after a resubscription. Returns an unsubscribe function. */
  onTrack(cb: (track: MediaStreamTrack) => void): () => void;
  /** Called on every state change. Returns an unsubscribe function. */
  onStateChange(cb: (state: LiveStreamState, error?: LiveViewerError) => void): () => void;
  /** Try again after the stream failed (e.g. with a fresh token). No-op in other states. */
  retry(token?: string): void;
  /** Stops the stream (locally and on the node). Idempotent. */
  close(): void;
}

export interface PlayOptions {
  /** Returns a fresh stream token when the one held has expired (the gateway issues them). */
  refreshToken?: () => Promise<string>;
}

export type LiveViewerEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; reason: string }
  | { type: 'transport'; transportId: string; state: string }
  | { type: 'interrupted'; cameraId: string; profile: string; consumerId: string; reason: string }
  | { type: 'retry'; cameraId: string; attempt: number; code: LiveErrorCode; delayMs: number }
  | { type: 'subscribed'; cameraId: string; profile: string; consumerId: string; attempt: number }
  | { type: 'failed'; cameraId: string; code: LiveErrorCode };

export interface LiveViewerOptions {
  /** How long to wait for each acknowledgement. Default 10 s. */
  ackTimeoutMs?: number;
  /** How long to wait for the socket to (re)connect. Default 10 s. */
  connectTimeoutMs?: number;
  /** Attempts per (re)subscription before the stream is declared failed. Default 12 (≈ 25 s). */
  maxAttempts?: number;
  /** Pause before attempt `n` (n ≥ 1). Default: 250 ms growing to 3 s, ±20 % jitter. */
  backoffMs?: (attempt: number) => number;
  /** Diagnostics hook. */
  onEvent?: (event: LiveViewerEvent) => void;
}

type ViewerSocket = Socket<ViewerServerToClientEvents, ViewerClientToServerEvents>;
type RequestEvent = keyof ViewerClientToServerEvents;
type RequestArgs<E extends RequestEvent> =
  Parameters<ViewerClientToServerEvents[E]> extends [...infer A, unknown] ? A : never;
type AckData<E extends RequestEvent> =
  Parameters<ViewerClientToServerEvents[E]> extends [...unknown[], (res: infer R) => void]
    ? R extends { ok: true; data: infer T }
      ? T
      : never
    : never;

/** The untyped face of `socket.timeout(ms)`: an emit whose last argument is `(err, res)`. */
interface TimedEmitter {
  emit(event: string, ...args: unknown[]): unknown;
}

/**
 * Pauses between attempts: short at first (a re-ingest after a worker death takes a second or
 * two, and a wall wants its picture back at once), then every few seconds; ±20 % jitter so the
 * tiles of a wall do not retry in lockstep.
 */
const BACKOFF_STEPS_MS = [250, 500, 750, 1000, 1500, 2000, 3000];

function defaultBackoff(attempt: number): number {
  const base = BACKOFF_STEPS_MS[Math.min(attempt, BACKOFF_STEPS_MS.length) - 1] ?? 3000;
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkTransportInfo(value: unknown): TransportInfo {
  if (
    !isRecord(value) ||
    typeof value.id !== 'string' ||
    !isRecord(value.iceParameters) ||
    !Array.isArray(value.iceCandidates) ||
    !isRecord(value.dtlsParameters)
  ) {
    throw new LiveViewerError('client:protocol', 'transport:create: malformed transport');
  }
  return value as unknown as TransportInfo;
}

function checkConsumeResult(value: unknown): ConsumeResult {
  if (
    !isRecord(value) ||
    typeof value.consumerId !== 'string' ||
    typeof value.producerId !== 'string' ||
    typeof value.cameraId !== 'string' ||
    (value.profile !== 'main' && value.profile !== 'sub') ||
    value.kind !== 'video' ||
    !isRecord(value.rtpParameters)
  ) {
    throw new LiveViewerError('client:protocol', 'stream:consume: malformed answer');
  }
  return value as unknown as ConsumeResult;
}

/** A stream's token is renewed this long before it expires (tokens live ≤ 60 s). */
const REFRESH_BEFORE_EXPIRY_MS = 20_000;

/** The stable code of a thrown value: a gateway or node `{ code }`, else `internal`. */
function codeOf(e: unknown): string {
  return isRecord(e) && typeof e.code === 'string' ? e.code : 'internal';
}
function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class Subscription implements LiveStream {
  token: string;
  refreshTimer: ReturnType<typeof setTimeout> | undefined;
  readonly refreshToken: (() => Promise<string>) | undefined;
  consumer: ms.Consumer | undefined;
  transportId: string | undefined;
  cameraId = '';
  profile: StreamProfile = 'sub';
  state: LiveStreamState = 'resubscribing';
  error: LiveViewerError | undefined;
  resubscriptions = 0;
  closed = false;
  /** A subscription loop is running. */
  busy = false;
  /** The stream broke again while the loop was running: do it once more. */
  again = false;
  #track: MediaStreamTrack | undefined;
  readonly #trackListeners = new Set<(track: MediaStreamTrack) => void>();
  readonly #stateListeners = new Set<(state: LiveStreamState, error?: LiveViewerError) => void>();
  readonly #viewer: LiveViewer;
  readonly #closeRemote: (consumerId: string) => void;
  readonly #resubscribe: (sub: Subscription, why: string) => void;

  constructor(
    viewer: LiveViewer,
    token: string,
    options: PlayOptions,
    hooks: {
      closeRemote: (consumerId: string) => void;
      resubscribe: (sub: Subscription, why: string) => void;
    },
  ) {
    this.#viewer = viewer;
    this.token = token;
    this.refreshToken = options.refreshToken;
    this.#closeRemote = hooks.closeRemote;
    this.#resubscribe = hooks.resubscribe;
  }

  get track(): MediaStreamTrack {
    const track = this.consumer?.track ?? this.#track;
    if (!track) throw new LiveViewerError('client:protocol', 'the stream has no track yet');
    return track;
  }

  attach(consumer: ms.Consumer, transportId: string, res: ConsumeResult): void {
    this.consumer = consumer;
    this.transportId = transportId;
    this.cameraId = res.cameraId;
    this.profile = res.profile;
    const changed = this.#track !== undefined && this.#track !== consumer.track;
    this.#track = consumer.track;
    if (changed) {
      for (const cb of this.#trackListeners) cb(consumer.track);
    }
  }

  /** Drops the local consumer (the node's one is already gone, or closed separately). */
  detach(): string | undefined {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.transportId = undefined;
    if (!consumer) return undefined;
    if (!consumer.closed) consumer.close();
    return consumer.id;
  }

  setState(state: LiveStreamState, error?: LiveViewerError): void {
    if (error) this.error = error;
    if (this.state === state) return;
    this.state = state;
    for (const cb of this.#stateListeners) cb(state, error);
  }

  onTrack(cb: (track: MediaStreamTrack) => void): () => void {
    this.#trackListeners.add(cb);
    return () => this.#trackListeners.delete(cb);
  }

  onStateChange(cb: (state: LiveStreamState, error?: LiveViewerError) => void): () => void {
    this.#stateListeners.add(cb);
    return () => this.#stateListeners.delete(cb);
  }

  retry(token?: string): void {
    if (this.closed || this.state !== 'failed') return;
    if (token) this.token = token;
    this.#resubscribe(this, 'retry');
  }

  close(): void {
    this.closeLocal();
    // Tell the node, so the ingest's viewer count drops now rather than on disconnect.
    const id = this.#lastConsumerId;
    if (id) this.#closeRemote(id);
  }

  #lastConsumerId: string | undefined;

  closeLocal(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.refreshTimer);
    this.#lastConsumerId = this.detach();
    this.#viewer.forget(this);
    this.setState('closed');
    this.#trackListeners.clear();
    this.#stateListeners.clear();
  }
}

export class LiveViewer {
  readonly #ackTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #maxAttempts: number;
  readonly #backoffMs: (attempt: number) => number;
  readonly #onEvent: (event: LiveViewerEvent) => void;

  #socket: ViewerSocket | null = null;
  #nodeUrl = '';
  /** The token the handshake presents: the last one a consume accepted (or the connect one). */
  #authToken = '';
  #connecting: Promise<void> | null = null;
  #device: Device | null = null;
  #devicePromise: Promise<Device> | null = null;
  #transport: ms.Transport | null = null;
  #transportPromise: Promise<ms.Transport> | null = null;
  /** Bumped whenever the receive transport is dropped: work begun on an older one is stale. */
  #epoch = 0;
  readonly #subs = new Set<Subscription>();
  readonly #byConsumer = new Map<string, Subscription>();
  /** Consumers reported interrupted before their consume acknowledgement arrived. */
  readonly #earlyInterrupts = new Set<string>();
  #closed = false;

  constructor(options: LiveViewerOptions = {}) {
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 12);
    this.#backoffMs = options.backoffMs ?? defaultBackoff;
    this.#onEvent = options.onEvent ?? (() => undefined);
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Connects to a media node's viewer namespace, presenting a stream token for that node.
   * Rejects with the node's code (e.g. `token:expired`) when the handshake is refused. Calling it
   * again for the same node only refreshes the handshake token.
   */
  async connect(nodeUrl: string, token: string): Promise<void> {
    if (this.#closed) throw new LiveViewerError('client:closed', 'the viewer is closed');
    const url = nodeUrl.replace(/\/+$/, '');
    if (this.#socket) {
      if (url !== this.#nodeUrl) {
        throw new LiveViewerError('client:protocol', `already connected to ${this.#nodeUrl}`);
      }
      this.#authToken = token;
      return this.#ensureConnected();
    }
    this.#nodeUrl = url;
    this.#authToken = token;
    const socket: ViewerSocket = io(`${url}${VIEWER_NAMESPACE}`, {
      path: '/socket.io',
      // The node is another origin: WebSocket needs no CORS preflight, and no sticky sessions.
      transports: ['websocket'],
      autoConnect: false,
      forceNew: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      timeout: this.#connectTimeoutMs,
      auth: (cb) => cb({ token: this.#authToken }),
    });
    socket.on('connect', () => this.#onEvent({ type: 'connected' }));
    socket.on('disconnect', (reason) => this.#onDisconnect(reason));
    socket.on('stream:interrupted', (info) => this.#onInterrupted(info));
    socket.on('stream:revoked', (info) => this.#onRevoked(info));
    this.#socket = socket;
    try {
      await this.#ensureConnected();
    } catch (err) {
      if (this.#socket === socket) {
        socket.removeAllListeners();
        socket.disconnect();
        this.#socket = null;
      }
      throw err;
    }
  }

  /**
   * Plays the stream a token grants. Resolves once the local consumer exists and the node has
   * resumed it (frames may take a moment more); rejects with the node's code otherwise.
   */
  async play(token: string, options: PlayOptions = {}): Promise<LiveStream> {
    if (this.#closed) throw new LiveViewerError('client:closed', 'the viewer is closed');
    if (!this.#socket) throw new LiveViewerError('client:not_connected', 'call connect() first');
    const sub = new Subscription(this, token, options, {
      closeRemote: (id) => this.#closeRemote(id),
      resubscribe: (s, why) => this.#resubscribe(s, why),
    });
    this.#subs.add(sub);
    await this.#subscribeLoop(sub);
    if (sub.state === 'live') return sub;
    const error = sub.error ?? new LiveViewerError('client:closed', 'the stream was closed');
    sub.closeLocal();
    throw error;
  }

  /** Closes every stream, the transport and the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of [...this.#subs]) sub.closeLocal();
    this.#dropTransport();
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
  }

  /** @internal — a Subscription leaving. */
  forget(sub: Subscription): void {
    this.#subs.delete(sub);
    for (const [id, s] of this.#byConsumer) if (s === sub) this.#byConsumer.delete(id);
  }

  #detach(sub: Subscription): void {
    const id = sub.detach();
    if (id !== undefined && this.#byConsumer.get(id) === sub) this.#byConsumer.delete(id);
  }

  // ——— connection ———

  #ensureConnected(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return Promise.reject(new LiveViewerError('client:not_connected', 'not connected'));
    if (socket.connected) return Promise.resolve();
    if (this.#connecting) return this.#connecting;
    const attempt = new Promise<void>((resolve, reject) => {
      let lastError = '';
      const finish = (err?: LiveViewerError) => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
        if (this.#connecting === attempt) this.#connecting = null;
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => finish();
      const onError = (err: Error & { data?: unknown }) => {
        const body = errorBodyOf(err.data);
        // The node refused the handshake: socket.io does not retry that by itself.
        if (body) finish(new LiveViewerError(body.code, body.message));
        else if (!socket.active) finish(new LiveViewerError('client:disconnected', err.message));
        else lastError = err.message; // network trouble: the manager keeps trying until the timer
      };
      const timer = setTimeout(
        () =>
          finish(
            new LiveViewerError(
              'client:timeout',
              `could not reach ${this.#nodeUrl}${lastError ? ` (${lastError})` : ''}`,
            ),
          ),
        this.#connectTimeoutMs,
      );
      socket.on('connect', onConnect);
      socket.on('connect_error', onError);
      if (!socket.active) socket.connect();
    });
    this.#connecting = attempt;
    return attempt;
  }

  #onDisconnect(reason: string): void {
    this.#onEvent({ type: 'disconnected', reason });
    if (this.#closed) return;
    // The node dropped everything this socket held: transport and consumers.
    this.#dropTransport();
    for (const sub of this.#subs) {
      if (sub.consumer) {
        this.#detach(sub);
        this.#resubscribe(sub, `disconnected:${reason}`);
      }
    }
  }

  async #request<E extends RequestEvent>(event: E, ...args: RequestArgs<E>): Promise<AckData<E>> {
    const socket = this.#socket;
    if (!socket?.connected) throw new LiveViewerError('client:disconnected', `${event}: not connected`);
    const timeoutMs = this.#ackTimeoutMs;
    return new Promise<AckData<E>>((resolve, reject) => {
      const emitter = socket.timeout(timeoutMs) as unknown as TimedEmitter;
      emitter.emit(event, ...args, (err: Error | null, res: unknown) => {
        if (err) {
          reject(
            socket.connected
              ? new LiveViewerError('client:timeout', `${event}: no answer within ${timeoutMs} ms`)
              : new LiveViewerError('client:disconnected', `${event}: disconnected`),
          );
          return;
        }
        if (isRecord(res) && res.ok === true) {
          resolve(res.data as AckData<E>);
        } else if (isRecord(res) && res.ok === false) {
          const body = errorBodyOf(res.error);
          reject(new LiveViewerError(body?.code ?? 'client:protocol', body?.message ?? `${event} failed`));
        } else {
          reject(new LiveViewerError('client:protocol', `${event}: malformed acknowledgement`));
        }
      });
    });
  }

  #closeRemote(consumerId: string): void {
    if (!this.#socket?.connected) return;
    this.#request('stream:close', { consumerId }).catch(() => undefined);
  }

  // ——— device and transport ———

  #ensureDevice(): Promise<Device> {
    if (this.#device?.loaded) return Promise.resolve(this.#device);
    this.#devicePromise ??= (async () => {
      const { rtpCapabilities } = await this.#request('router:capabilities');
      if (!isRecord(rtpCapabilities)) {
        throw new LiveViewerError('client:protocol', 'router:capabilities: malformed capabilities');
      }
      let device: Device;
      try {
        device = new Device();
      } catch (err) {
        throw toLiveViewerError(err, 'client:unsupported');
      }
      try {
        await device.load({ routerRtpCapabilities: rtpCapabilities as ms.RtpCapabilities });
      } catch (err) {
        throw toLiveViewerError(err, 'client:unsupported');
      }
      this.#device = device;
      return device;
    })().catch((err: unknown) => {
      this.#devicePromise = null;
      throw err;
    });
    return this.#devicePromise;
  }

  #ensureTransport(device: Device): Promise<ms.Transport> {
    if (this.#transport && !this.#transport.closed) return Promise.resolve(this.#transport);
    if (this.#transportPromise) return this.#transportPromise;
    const epoch = this.#epoch;
    const pending = (async () => {
      const info = checkTransportInfo(await this.#request('transport:create'));
      const transport = device.createRecvTransport({
        id: info.id,
        iceParameters: info.iceParameters as ms.IceParameters,
        iceCandidates: info.iceCandidates as ms.IceCandidate[],
        dtlsParameters: info.dtlsParameters as ms.DtlsParameters,
      });
      if (epoch !== this.#epoch) {
        transport.close();
        throw new LiveViewerError('client:transport_failed', 'the connection was reset meanwhile');
      }
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        this.#request('transport:connect', { dtlsParameters }).then(
          () => callback(),
          (err: unknown) => errback(toLiveViewerError(err)),
        );
      });
      transport.on('connectionstatechange', (state) => {
        this.#onEvent({ type: 'transport', transportId: transport.id, state });
        if (state === 'failed' && this.#transport === transport) this.#onTransportFailed();
      });
      this.#transport = transport;
      return transport;
    })();
    this.#transportPromise = pending;
    pending.then(
      () => {
        if (this.#transportPromise === pending) this.#transportPromise = null;
      },
      () => {
        if (this.#transportPromise === pending) this.#transportPromise = null;
      },
    );
    return pending;
  }

  /** Forgets the receive transport (closing it locally, which closes its consumers). */
  #dropTransport(): ms.Transport | null {
    this.#epoch++;
    const transport = this.#transport;
    this.#transport = null;
    this.#transportPromise = null;
    if (transport && !transport.closed) transport.close();
    return transport;
  }

  /** The node dropped our transport: make a new one and resubscribe everything that was on it. */
  #replaceTransport(why: string): void {
    const old = this.#dropTransport();
    if (!old) return;
    for (const sub of this.#subs) {
      if (sub.transportId === old.id) {
        this.#detach(sub);
        this.#resubscribe(sub, why);
      }
    }
  }

  /**
   * ICE/DTLS failed for good. The node still holds a transport for this socket, so start over
   * with a fresh socket session: the node drops the old one, and `disconnect` resubscribes all.
   */
  #onTransportFailed(): void {
    const socket = this.#socket;
    if (!socket || this.#closed) return;
    socket.disconnect();
    socket.connect();
  }

  // ——— subscriptions ———

  #onInterrupted(info: unknown): void {
    if (!isRecord(info) || typeof info.consumerId !== 'string') return;
    const consumerId = info.consumerId;
    const reason = typeof info.reason === 'string' ? info.reason : 'unknown';
    this.#onEvent({
      type: 'interrupted',
      consumerId,
      reason,
      cameraId: typeof info.cameraId === 'string' ? info.cameraId : '',
      profile: typeof info.profile === 'string' ? info.profile : '',
    });
    const sub = this.#byConsumer.get(consumerId);
    if (!sub) {
      this.#earlyInterrupts.add(consumerId);
      if (this.#earlyInterrupts.size > 256) {
        const oldest = this.#earlyInterrupts.values().next().value;
        if (oldest !== undefined) this.#earlyInterrupts.delete(oldest);
      }
      return;
    }
    this.#byConsumer.delete(consumerId);
    if (
      reason === 'transport_closed' &&
      sub.transportId !== undefined &&
      sub.transportId === this.#transport?.id
    ) {
      this.#replaceTransport(`interrupted:${reason}`);
      return;
    }
    this.#detach(sub);
    this.#resubscribe(sub, `interrupted:${reason}`);
  }

  /** The node ended a stream because its right ended: final, never resubscribed on our own. */
  #onRevoked(info: unknown): void {
    if (!isRecord(info) || typeof info.consumerId !== 'string') return;
    const reason = typeof info.reason === 'string' ? info.reason : 'unknown';
    const sub = this.#byConsumer.get(info.consumerId);
    if (!sub) return;
    this.#byConsumer.delete(info.consumerId);
    this.#endSubscription(sub, new LiveViewerError(`revoked:${reason}`, `the stream was stopped: ${reason}`));
  }

  /** Ends a subscription for good with `err` (the node's consumer is gone or is closed here). */
  #endSubscription(sub: Subscription, err: LiveViewerError): void {
    clearTimeout(sub.refreshTimer);
    const id = sub.detach();
    if (id) this.#byConsumer.delete(id);
    this.#onEvent({ type: 'failed', cameraId: sub.cameraId, code: err.code });
    sub.setState('failed', err);
  }

  /**
   * Renews the stream's token before it expires: a fresh one from the gateway (decided again),
   * handed to the node (`stream:refresh`). A refusal ends the stream with its code; a node that
   * gets no fresh token closes the consumer itself.
   */
  #scheduleRefresh(sub: Subscription): void {
    clearTimeout(sub.refreshTimer);
    const exp = peekStreamToken(sub.token)?.exp;
    if (!sub.refreshToken || exp === undefined || sub.closed) return;
    const delay = Math.max(1000, exp * 1000 - Date.now() - REFRESH_BEFORE_EXPIRY_MS);
    sub.refreshTimer = setTimeout(() => void this.#refresh(sub), delay);
  }

  async #refresh(sub: Subscription): Promise<void> {
    const consumerId = sub.consumer?.id;
    if (sub.closed || this.#closed || !sub.refreshToken || !consumerId || sub.state !== 'live') return;
    try {
      const token = await sub.refreshToken();
      if (sub.closed || sub.consumer?.id !== consumerId) return;
      await this.#request('stream:refresh', { consumerId, token });
      this.#adoptFreshToken(sub, token);
      this.#scheduleRefresh(sub);
    } catch (e) {
      if (sub.closed || sub.consumer?.id !== consumerId) return;
      const err = e instanceof LiveViewerError ? e : new LiveViewerError(codeOf(e), errorMessage(e));
      if (err.transient) {
        clearTimeout(sub.refreshTimer);
        sub.refreshTimer = setTimeout(() => void this.#refresh(sub), 3000);
        return;
      }
      this.#closeRemote(consumerId);
      this.#endSubscription(sub, err);
    }
  }

  #resubscribe(sub: Subscription, _why: string): void {
    if (sub.closed || this.#closed) return;
    if (sub.busy) {
      sub.again = true;
      return;
    }
    sub.resubscriptions++;
    sub.setState('resubscribing');
    void this.#subscribeLoop(sub);
  }

  async #subscribeLoop(sub: Subscription): Promise<void> {
    sub.busy = true;
    try {
      for (let attempt = 0; ; attempt++) {
        if (sub.closed || this.#closed) return;
        if (attempt > 0) {
          const delayMs = this.#backoffMs(attempt);
          this.#onEvent({
            type: 'retry',
            cameraId: sub.cameraId,
            attempt,
            code: sub.error?.code ?? 'internal',
            delayMs,
          });
          await sleep(delayMs);
          if (sub.closed || this.#closed) return;
        }
        sub.again = false;
        try {
          if (sub.refreshToken && tokenLooksExpired(sub.token))
            this.#adoptFreshToken(sub, await sub.refreshToken());
          await this.#subscribeOnce(sub);
          if (sub.again) {
            // It broke again while we were subscribing: once more, on the same attempt budget.
            this.#detach(sub);
            if (attempt + 1 >= this.#maxAttempts)
              throw new LiveViewerError('stream:offline', 'keeps breaking');
            continue;
          }
          this.#onEvent({
            type: 'subscribed',
            cameraId: sub.cameraId,
            profile: sub.profile,
            consumerId: sub.consumer?.id ?? '',
            attempt,
          });
          sub.setState('live');
          this.#scheduleRefresh(sub);
          return;
        } catch (e) {
          if (sub.closed || this.#closed) return;
          const err = toLiveViewerError(e);
          sub.error = err;
          if (err.code === 'transport:missing') this.#replaceTransport('transport:missing');
          let retryable = err.transient;
          if (err.code === 'token:expired' && sub.refreshToken) {
            try {
              this.#adoptFreshToken(sub, await sub.refreshToken());
              retryable = true;
            } catch (refreshErr) {
              sub.error = toLiveViewerError(refreshErr, 'token:expired');
              retryable = false;
            }
          }
          if (!retryable || attempt + 1 >= this.#maxAttempts) {
            this.#detach(sub);
            this.#onEvent({ type: 'failed', cameraId: sub.cameraId, code: sub.error.code });
            sub.setState('failed', sub.error);
            return;
          }
        }
      }
    } finally {
      sub.busy = false;
    }
  }

  /** A token just issued by the gateway: for the next consume, and for the handshake if we reconnect. */
  #adoptFreshToken(sub: Subscription, token: string): void {
    sub.token = token;
    this.#authToken = token;
  }

  async #subscribeOnce(sub: Subscription): Promise<void> {
    await this.#ensureConnected();
    const device = await this.#ensureDevice();
    const transport = await this.#ensureTransport(device);
    const epoch = this.#epoch;
    const res = checkConsumeResult(
      await this.#request('stream:consume', { token: sub.token, rtpCapabilities: device.rtpCapabilities }),
    );
    const stale = () => sub.closed || this.#closed || epoch !== this.#epoch || transport.closed;
    if (stale()) {
      this.#closeRemote(res.consumerId);
      throw new LiveViewerError('client:transport_failed', 'the transport was replaced while subscribing');
    }
    let consumer: ms.Consumer;
    try {
      consumer = await transport.consume({
        id: res.consumerId,
        producerId: res.producerId,
        kind: 'video',
        rtpParameters: res.rtpParameters as ms.RtpParameters,
      });
    } catch (err) {
      this.#closeRemote(res.consumerId);
      throw toLiveViewerError(err, 'client:transport_failed');
    }
    if (stale()) {
      consumer.close();
      this.#closeRemote(res.consumerId);
      throw new LiveViewerError('client:transport_failed', 'the transport was replaced while subscribing');
    }
    sub.attach(consumer, transport.id, res);
    this.#byConsumer.set(consumer.id, sub);
    if (this.#earlyInterrupts.delete(consumer.id)) {
      this.#byConsumer.delete(consumer.id);
      this.#detach(sub);
      throw new LiveViewerError('stream:offline', 'interrupted while subscribing');
    }
    try {
      await this.#request('stream:resume', { consumerId: consumer.id });
    } catch (err) {
      this.#byConsumer.delete(consumer.id);
      this.#detach(sub);
      this.#closeRemote(res.consumerId);
      throw err;
    }
    // A token the node accepted is a good one to present if the socket has to reconnect.
    this.#authToken = sub.token;
  }
}
