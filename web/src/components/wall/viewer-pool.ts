import type { LiveViewer, LiveViewerEvent } from '../../lib/live/viewer-client';

/**
 * The page's live viewers: ONE `LiveViewer` per media node (one socket and one receive transport
 * each), shared by every tile of the page. The live client (mediasoup-client) is loaded on first
 * use, in the browser only.
 */
export class ViewerPool {
  readonly #viewers = new Map<string, Promise<LiveViewer>>();
  readonly #onEvent: ((nodeUrl: string, event: LiveViewerEvent) => void) | undefined;
  #closed = false;

  constructor(onEvent?: (nodeUrl: string, event: LiveViewerEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Loads the live client now (the first tile then only waits for its token). */
  preload(): void {
    import('../../lib/live/viewer-client').catch(() => undefined);
  }

  /** The viewer of a media node (not yet connected: `connect(nodeUrl, token)` with a tile's token). */
  viewer(nodeUrl: string): Promise<LiveViewer> {
    const key = nodeUrl.replace(/\/+$/, '');
    let v = this.#viewers.get(key);
    if (!v) {
      v = import('../../lib/live/viewer-client').then(({ LiveViewer }) => {
        const viewer = new LiveViewer({ onEvent: (e) => this.#onEvent?.(key, e) });
        if (this.#closed) viewer.close();
        return viewer;
      });
      this.#viewers.set(key, v);
    }
    return v;
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
  }
}
