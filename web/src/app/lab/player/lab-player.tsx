'use client';

import { useEffect, useRef, useState } from 'react';
import { toLiveViewerError } from '../../../lib/live/errors';
import { peekStreamToken } from '../../../lib/live/token';
import type { LiveStream, LiveViewer, LiveViewerEvent } from '../../../lib/live/viewer-client';
import styles from './player.module.css';

export interface LabPlayerMessages {
  node: string;
  tile: string;
  camera: string;
  profile: string;
  state: string;
  connecting: string;
  live: string;
  error: string;
  frames: string;
  size: string;
  firstFrame: string;
  resubscriptions: string;
  badNode: string;
  switchLang: string;
}

type TileState = 'connecting' | 'live' | 'error';

interface Tile {
  id: string;
  state: TileState;
  cameraId: string;
  profile: string;
  error?: { code: string; message: string };
  resubscriptions: number;
}

interface FrameSize {
  width: number;
  height: number;
}

// Read by the browser tests (e2e/live.spec.ts) and handy in the devtools console.
declare global {
  interface Window {
    /** Decoded (presented) frames per tile, counted with requestVideoFrameCallback. */
    __frames?: number[];
    /** Size of the last decoded frame per tile. */
    __frameSizes?: (FrameSize | null)[];
    /** ms from navigation start to each tile's first decoded frame. */
    __firstFrameMs?: (number | null)[];
    /** Resubscriptions per tile. */
    __resubscriptions?: number[];
    /** The live client's diagnostic events, oldest first (at most 500). */
    __liveEvents?: (LiveViewerEvent & { at: number })[];
  }
}

function initialTiles(tokens: readonly string[]): Tile[] {
  return tokens.map((token, i) => {
    const claims = peekStreamToken(token);
    return {
      id: `tile-${i}`,
      state: 'connecting',
      cameraId: claims?.cam ?? '',
      profile: claims?.prof ?? '',
      resubscriptions: 0,
    };
  });
}

export function LabPlayer({ node, tokens, t }: { node: string; tokens: string[]; t: LabPlayerMessages }) {
  const tokenKey = tokens.join('\n');
  const [tiles, setTiles] = useState<Tile[]>(() => initialTiles(tokens));
  const [tick, setTick] = useState(0);
  const videos = useRef<(HTMLVideoElement | null)[]>([]);

  useEffect(() => {
    const id = setInterval(() => setTick((n) => n + 1), 500);
    return () => clearInterval(id);
  }, []);

  useEffect(() => {
    const list = tokenKey.split('\n');
    const n = list.length;
    const frames = new Array<number>(n).fill(0);
    const sizes = new Array<FrameSize | null>(n).fill(null);
    const firstFrameMs = new Array<number | null>(n).fill(null);
    const resubscriptions = new Array<number>(n).fill(0);
    const events: (LiveViewerEvent & { at: number })[] = [];
    window.__frames = frames;
    window.__frameSizes = sizes;
    window.__firstFrameMs = firstFrameMs;
    window.__resubscriptions = resubscriptions;
    window.__liveEvents = events;
    setTiles(initialTiles(list));

    let disposed = false;
    let viewer: LiveViewer | null = null;
    const streams: LiveStream[] = [];
    const stopWatch: ((() => void) | undefined)[] = new Array(n).fill(undefined);

    const update = (i: number, patch: Partial<Tile>) => {
      if (disposed) return;
      setTiles((prev) => prev.map((tile, j) => (j === i ? { ...tile, ...patch } : tile)));
    };
    const fail = (i: number, e: unknown) => {
      const err = toLiveViewerError(e);
      update(i, { state: 'error', error: { code: err.code, message: err.message } });
    };

    /** Shows a track in tile i and counts its decoded frames. */
    const attach = (i: number, track: MediaStreamTrack) => {
      const video = videos.current[i];
      if (!video || disposed) return;
      stopWatch[i]?.();
      video.muted = true;
      video.srcObject = new MediaStream([track]);
      video.play().catch(() => undefined);
      let first = true;
      let stopped = false;
      let handle = 0;
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
        if (stopped) return;
        frames[i] = (frames[i] ?? 0) + 1;
        sizes[i] = { width: meta.width, height: meta.height };
        if (first) {
          first = false;
          if (firstFrameMs[i] === null) firstFrameMs[i] = Math.round(performance.now());
          update(i, { state: 'live' });
        }
        handle = video.requestVideoFrameCallback(onFrame);
      };
      handle = video.requestVideoFrameCallback(onFrame);
      stopWatch[i] = () => {
        stopped = true;
        video.cancelVideoFrameCallback(handle);
      };
    };

    const playTile = async (v: LiveViewer, i: number, token: string) => {
      try {
        const stream = await v.play(token);
        if (disposed) {
          stream.close();
          return;
        }
        streams.push(stream);
        update(i, { cameraId: stream.cameraId, profile: stream.profile });
        attach(i, stream.track);
        stream.onTrack((track) => attach(i, track));
        stream.onStateChange((state, err) => {
          resubscriptions[i] = stream.resubscriptions;
          if (state === 'resubscribing') {
            update(i, { state: 'connecting', resubscriptions: stream.resubscriptions });
          } else if (state === 'failed') {
            fail(i, err ?? stream.error);
          }
          // `live` again comes with the first decoded frame of the new track (see attach).
        });
      } catch (err) {
        if (!disposed) fail(i, err);
      }
    };

    void (async () => {
      const { LiveViewer: Viewer } = await import('../../../lib/live/viewer-client');
      if (disposed) return;
      const v = new Viewer({
        onEvent: (event) => {
          events.push({ ...event, at: Math.round(performance.now()) });
          if (events.length > 500) events.shift();
        },
      });
      viewer = v;
      // The handshake needs one token the node accepts; a token it refuses fails only its tile.
      let first = -1;
      for (let i = 0; i < n && first < 0; i++) {
        try {
          await v.connect(node, list[i] ?? '');
          first = i;
        } catch (e) {
          if (disposed) return;
          const err = toLiveViewerError(e);
          fail(i, err);
          if (!String(err.code).startsWith('token:')) {
            // The node is unreachable: every tile fails alike.
            for (let j = i + 1; j < n; j++) fail(j, err);
            return;
          }
        }
      }
      if (first < 0 || disposed) return;
      await Promise.all(list.slice(first).map((token, k) => playTile(v, first + k, token)));
    })().catch((err: unknown) => {
      for (let i = 0; i < n; i++) fail(i, err);
    });

    return () => {
      disposed = true;
      for (const stop of stopWatch) stop?.();
      for (const stream of streams) stream.close();
      viewer?.close();
      for (const video of videos.current) if (video) video.srcObject = null;
    };
  }, [node, tokenKey]);

  // Counters live outside React state (they change every frame); shown on a 500 ms tick, and
  // only after hydration so the server and the first client render agree.
  const frames = tick > 0 ? window.__frames : undefined;
  const sizes = tick > 0 ? window.__frameSizes : undefined;
  const firstMs = tick > 0 ? window.__firstFrameMs : undefined;

  return (
    <section>
      <p className={styles.meta}>
        {t.node}: <code>{node}</code>
      </p>
      <div className={styles.grid}>
        {tiles.map((tile, i) => {
          const size = sizes?.[i];
          const first = firstMs?.[i];
          return (
            <figure key={tile.id} className={styles.tile}>
              <video
                ref={(el) => {
                  videos.current[i] = el;
                }}
                className={styles.video}
                data-testid="wall-tile"
                data-index={i}
                data-camera-id={tile.cameraId}
                data-state={tile.state}
                data-error={tile.error?.code}
                data-resubscriptions={tile.resubscriptions}
                muted
                autoPlay
                playsInline
              />
              <figcaption className={styles.caption}>
                <div className={styles.row}>
                  <span>
                    {t.tile} {i + 1} · {t.camera} {tile.cameraId || '—'} · {t.profile} {tile.profile || '—'}
                  </span>
                  <span className={`${styles.badge} ${styles[tile.state]}`} data-testid="tile-state">
                    {t[tile.state]}
                  </span>
                </div>
                {tile.error ? (
                  <div className={styles.errorText} role="alert" data-testid="tile-error">
                    {tile.error.code}: {tile.error.message}
                  </div>
                ) : null}
                <div className={styles.stats}>
                  {t.frames} {frames?.[i] ?? 0} · {t.size} {size ? `${size.width}×${size.height}` : '—'} ·{' '}
                  {t.firstFrame} {typeof first === 'number' ? `${first} ms` : '—'} · {t.resubscriptions}{' '}
                  {tile.resubscriptions}
                </div>
              </figcaption>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
