import type { LiveViewer, LiveViewerEvent } from './viewer-client';

/** Makes the live client of one media node (default: `LiveViewer`, loaded on first use). */
export type ViewerFactory = (onEvent: (event: LiveViewerEvent) => void) => Promise<LiveViewer>;

const loadViewer: ViewerFactory = (onEvent) =>
  import('./viewer-client').then(({ LiveViewer }) => new LiveViewer({ onEvent }));

const key = (nodeUrl: string) => nodeUrl.replace(/\/+$/, '');

/**
 * The page's live viewers: ONE `LiveViewer` per media node (one socket and one receive transport
 * each), shared by every player of the page (wall tiles, the map preview, diagnostics tiles). The
 * live client (mediasoup-client) is loaded on first use, in the browser only.
 */
export class ViewerPool {
  readonly #viewers = new Map<string, Promise<LiveViewer>>();
  /** Per node, the last handshake asked for: handshakes run one after another. */
  readonly #handshakes = new Map<string, Promise<unknown>>();
  readonly #onEvent: ((nodeUrl: string, event: LiveViewerEvent) => void) | undefined;
  readonly #factory: ViewerFactory;
  #closed = false;

  constructor(
    onEvent?: (nodeUrl: string, event: LiveViewerEvent) => void,
    factory: ViewerFactory = loadViewer,
  ) {
    this.#onEvent = onEvent;
    this.#factory = factory;
  }

  /** Loads the live client now (the first player then only waits for its token). */
  preload(): void {
    import('./viewer-client').catch(() => undefined);
  }

  /** The viewer of a media node (not yet connected: see `connect`). */
  viewer(nodeUrl: string): Promise<LiveViewer> {
    const k = key(nodeUrl);
    let v = this.#viewers.get(k);
    if (!v) {
      v = this.#factory((e) => this.#onEvent?.(k, e)).then((viewer) => {
        if (this.#closed) viewer.close();
        return viewer;
      });
      this.#viewers.set(k, v);
    }
    return v;
  }

  /**
   * The viewer of a media node, connected with this token. Handshakes to a node run one at a time:
   * while the socket is down, each token is presented on its own (a refused one fails only its
   * caller, with the node's code); once it is up, the others pass at once.
   */
  async connect(nodeUrl: string, token: string): Promise<LiveViewer> {
    const k = key(nodeUrl);
    const viewer = await this.viewer(k);
    const before = this.#handshakes.get(k) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => viewer.connect(k, token));
    this.#handshakes.set(k, mine);
    try {
      await mine;
    } finally {
      if (this.#handshakes.get(k) === mine) this.#handshakes.delete(k);
    }
    return viewer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes every viewer (streams, transports, sockets). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const v of this.#viewers.values()) v.then((viewer) => viewer.close()).catch(() => undefined);
    this.#viewers.clear();
    this.#handshakes.clear();
  }
}
