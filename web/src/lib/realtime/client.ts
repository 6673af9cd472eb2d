import {
  type Ack,
  REALTIME_NAMESPACE,
  REALTIME_PATH,
  type RealtimeClientToServerEvents,
  type RealtimeServerToClientEvents,
  serverTimeSchema,
  type WallCommand,
  type WallCommandAck,
  type WallState,
  wallStateSchema,
} from '@wall/protocol';
import { io, type Socket } from 'socket.io-client';
import { GatewayError } from '../gateway';

type RealtimeSocket = Socket<RealtimeServerToClientEvents, RealtimeClientToServerEvents>;
type ServerEvent = keyof RealtimeServerToClientEvents;

export type RealtimeConnection =
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'disconnected'; reason: string }
  /** The gateway refused the handshake (`auth:required`, `forbidden:origin`): no retry. */
  | { state: 'refused'; code: string; message: string };

export interface RealtimeClientOptions {
  /** How long to wait for each acknowledgement. Default 10 s. */
  ackTimeoutMs?: number;
}

/** The untyped face of `socket.timeout(ms)`: an emit whose last argument is `(err, res)`. */
interface TimedEmitter {
  emit(event: string, ...args: unknown[]): unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * The gateway's realtime socket (namespace `/realtime`, cookie session): wall rooms, wall commands,
 * camera stream status, incidents. One per page. Requests are acknowledged `{ ok, data | error }`;
 * a refusal becomes a `GatewayError` with the gateway's code (and `current` on `conflict:version`).
 */
export class RealtimeClient {
  readonly #socket: RealtimeSocket;
  readonly #ackTimeoutMs: number;
  readonly #connectionListeners = new Set<(c: RealtimeConnection) => void>();
  #connection: RealtimeConnection = { state: 'connecting' };
  #closed = false;

  constructor(gatewayUrl: string, options: RealtimeClientOptions = {}) {
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    const url = gatewayUrl.replace(/\/+$/, '');
    this.#socket = io(`${url}${REALTIME_NAMESPACE}`, {
      path: REALTIME_PATH,
      // Another origin (the gateway's port): WebSocket needs no CORS preflight; the session
      // cookie is host-scoped and SameSite=Strict, so the handshake carries it.
      transports: ['websocket'],
      withCredentials: true,
      forceNew: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.#socket.on('connect', () => this.#set({ state: 'connected' }));
    this.#socket.on('disconnect', (reason) => this.#set({ state: 'disconnected', reason }));
    this.#socket.on('connect_error', (err: Error & { data?: unknown }) => {
      const data = isRecord(err.data) ? err.data : undefined;
      if (data && typeof data.code === 'string' && !this.#socket.active) {
        this.#set({
          state: 'refused',
          code: data.code,
          message: typeof data.message === 'string' ? data.message : data.code,
        });
      } else {
        this.#set({ state: 'disconnected', reason: err.message });
      }
    });
  }

  get connection(): RealtimeConnection {
    return this.#connection;
  }

  /** Called with every connection change (and at once with the current one). */
  onConnection(cb: (c: RealtimeConnection) => void): () => void {
    this.#connectionListeners.add(cb);
    cb(this.#connection);
    return () => this.#connectionListeners.delete(cb);
  }

  on<E extends ServerEvent>(event: E, cb: RealtimeServerToClientEvents[E]): () => void {
    // socket.io's typed listener signature is awkward to spell generically.
    const socket = this.#socket as unknown as {
      on(e: string, f: unknown): void;
      off(e: string, f: unknown): void;
    };
    socket.on(event, cb);
    return () => socket.off(event, cb);
  }

  /** Joins the wall's room; answers its state (`not_found:wall`, `forbidden:wall` otherwise). */
  async joinWall(wallId: string): Promise<WallState> {
    return wallStateSchema.parse(await this.#request('wall:join', { wallId }));
  }

  async leaveWall(wallId: string): Promise<void> {
    await this.#request('wall:leave', { wallId });
  }

  /** Applies a command; the new state is also broadcast to the room as `wall:updated`. */
  async command(wallId: string, command: WallCommand): Promise<WallState> {
    return wallStateSchema.parse(await this.#request('wall:command', { wallId, command }));
  }

  /** The gateway's clock (epoch ms) as it answered `time:now`. */
  async serverNow(): Promise<number> {
    return serverTimeSchema.parse(await this.#request('time:now', undefined)).now;
  }

  /** Status pushes for these cameras; answers those accepted (the user may read them). */
  async watch(cameraIds: readonly string[]): Promise<string[]> {
    const data = await this.#request('camera:watch', { cameraIds: [...cameraIds] });
    return isRecord(data) && Array.isArray(data.accepted)
      ? data.accepted.filter((x): x is string => typeof x === 'string')
      : [];
  }

  async unwatch(cameraIds: readonly string[]): Promise<void> {
    await this.#request('camera:unwatch', { cameraIds: [...cameraIds] });
  }

  /** Disconnects for good. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.removeAllListeners();
    this.#socket.disconnect();
    this.#connectionListeners.clear();
  }

  #set(c: RealtimeConnection): void {
    if (this.#closed) return;
    this.#connection = c;
    for (const cb of this.#connectionListeners) cb(c);
  }

  /** An acked request; `payload` undefined sends the event with its ack only. */
  #request(event: keyof RealtimeClientToServerEvents, payload: unknown): Promise<unknown> {
    if (this.#closed) return Promise.reject(new GatewayError('client:network', 'the socket is closed'));
    const timeoutMs = this.#ackTimeoutMs;
    return new Promise((resolve, reject) => {
      const emitter = this.#socket.timeout(timeoutMs) as unknown as TimedEmitter;
      const args: unknown[] = payload === undefined ? [] : [payload];
      emitter.emit(event, ...args, (err: Error | null, res: Ack<unknown> | WallCommandAck) => {
        if (err) {
          reject(new GatewayError('client:timeout', `${event}: no answer within ${timeoutMs} ms`));
          return;
        }
        if (isRecord(res) && res.ok === true) {
          resolve(res.data);
          return;
        }
        if (isRecord(res) && res.ok === false && isRecord(res.error)) {
          const current = 'current' in res ? wallStateSchema.safeParse(res.current) : undefined;
          reject(
            new GatewayError(String(res.error.code), String(res.error.message ?? res.error.code), {
              ...(current?.success ? { current: current.data } : {}),
            }),
          );
          return;
        }
        reject(new GatewayError('client:protocol', `${event}: malformed acknowledgement`));
      });
    });
  }
}
