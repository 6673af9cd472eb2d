'use client';

import type { StreamProfile } from '@wall/protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  type GrantSource,
  LiveProvider,
  type LiveView,
  type LiveViewerEvent,
  peekStreamToken,
  useLivePlayer,
} from '../../../lib/live';
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

/** The page's diagnostic counters (window.__*), one slot per tile. */
interface Counters {
  frames: number[];
  sizes: (FrameSize | null)[];
  firstFrameMs: (number | null)[];
  resubscriptions: number[];
  events: (LiveViewerEvent & { at: number })[];
}

/** A token from the address bar as a grant: it cannot be renewed, so a token the node refuses is final. */
function fixedGrant(node: string, token: string): GrantSource {
  return {
    renewable: false,
    live: async () => ({ token, nodeUrl: node, expiresAt: '', emergency: false }),
  };
}

function tileState(view: LiveView): TileState {
  if (view.state === 'denied' || view.state === 'error') return 'error';
  return view.state;
}

/**
 * The diagnostics player: one tile per stream token, each played by the page's `LivePlayer` through
 * the page's viewer pool (one socket to the node), its frames counted for the browser tests.
 */
export function LabPlayer({ node, tokens, t }: { node: string; tokens: string[]; t: LabPlayerMessages }) {
  const tokenKey = tokens.join('\n');
  const list = useMemo(
    () => tokenKey.split('\n').map((token, i) => ({ id: `tile-${i}`, token })),
    [tokenKey],
  );
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const id = setInterval(() => setTick((n) => n + 1), 500);
    return () => clearInterval(id);
  }, []);

  const counters = useMemo<Counters>(() => {
    const n = list.length;
    return {
      frames: new Array<number>(n).fill(0),
      sizes: new Array<FrameSize | null>(n).fill(null),
      firstFrameMs: new Array<number | null>(n).fill(null),
      resubscriptions: new Array<number>(n).fill(0),
      events: [],
    };
  }, [list]);

  useEffect(() => {
    window.__frames = counters.frames;
    window.__frameSizes = counters.sizes;
    window.__firstFrameMs = counters.firstFrameMs;
    window.__resubscriptions = counters.resubscriptions;
    window.__liveEvents = counters.events;
  }, [counters]);

  const onEvent = useCallback(
    (_node: string, event: LiveViewerEvent) => {
      counters.events.push({ ...event, at: Math.round(performance.now()) });
      if (counters.events.length > 500) counters.events.shift();
    },
    [counters],
  );

  return (
    <section>
      <p className={styles.meta}>
        {t.node}: <code>{node}</code>
      </p>
      <LiveProvider onEvent={onEvent}>
        <div className={styles.grid}>
          {list.map(({ id, token }, i) => (
            <LabTile key={id} index={i} node={node} token={token} t={t} counters={counters} tick={tick} />
          ))}
        </div>
      </LiveProvider>
    </section>
  );
}

function LabTile({
  index: i,
  node,
  token,
  t,
  counters,
  tick,
}: {
  index: number;
  node: string;
  token: string;
  t: LabPlayerMessages;
  counters: Counters;
  tick: number;
}) {
  const claims = useMemo(() => peekStreamToken(token), [token]);
  const profile: StreamProfile = claims?.prof === 'main' ? 'main' : 'sub';
  const source = useMemo(() => fixedGrant(node, token), [node, token]);
  const video = useRef<HTMLVideoElement | null>(null);
  // A token without a camera claim is still presented: the node says why it is refused.
  const view = useLivePlayer({
    cameraId: claims?.cam ?? '—',
    profile,
    source,
    videos: [video, video],
    useCache: false,
  });
  const state = tileState(view);
  counters.resubscriptions[i] = view.resubscriptions;

  // Every presented frame counted (requestVideoFrameCallback), whichever stream is in the video.
  useEffect(() => {
    const v = video.current;
    if (!v) return;
    let handle = 0;
    let stopped = false;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      if (stopped) return;
      counters.frames[i] = (counters.frames[i] ?? 0) + 1;
      counters.sizes[i] = { width: meta.width, height: meta.height };
      if (counters.firstFrameMs[i] === null) counters.firstFrameMs[i] = Math.round(performance.now());
      handle = v.requestVideoFrameCallback(onFrame);
    };
    handle = v.requestVideoFrameCallback(onFrame);
    return () => {
      stopped = true;
      v.cancelVideoFrameCallback(handle);
    };
  }, [counters, i]);

  // Counters live outside React state (they change every frame); shown on a 500 ms tick, and
  // only after hydration so the server and the first client render agree.
  const frames = tick > 0 ? counters.frames[i] : undefined;
  const size = tick > 0 ? counters.sizes[i] : undefined;
  const first = tick > 0 ? counters.firstFrameMs[i] : undefined;
  const cameraId = claims?.cam ?? '';
  return (
    <figure className={styles.tile}>
      <video
        ref={video}
        className={styles.video}
        data-testid="wall-tile"
        data-index={i}
        data-camera-id={cameraId}
        data-state={state}
        data-stalled={view.stalled ? 'true' : undefined}
        data-error={state === 'error' ? view.error?.code : undefined}
        data-resubscriptions={view.resubscriptions}
        muted
        autoPlay
        playsInline
      />
      <figcaption className={styles.caption}>
        <div className={styles.row}>
          <span>
            {t.tile} {i + 1} · {t.camera} {cameraId || '—'} · {t.profile} {claims?.prof ?? '—'}
          </span>
          <span className={`${styles.badge} ${styles[state]}`} data-testid="tile-state">
            {t[state]}
          </span>
        </div>
        {state === 'error' && view.error ? (
          <div className={styles.errorText} role="alert" data-testid="tile-error">
            {view.error.code}: {view.error.message}
          </div>
        ) : null}
        <div className={styles.stats}>
          {t.frames} {frames ?? 0} · {t.size} {size ? `${size.width}×${size.height}` : '—'} · {t.firstFrame}{' '}
          {typeof first === 'number' ? `${first} ms` : '—'} · {t.resubscriptions} {view.resubscriptions}
        </div>
      </figcaption>
    </figure>
  );
}
