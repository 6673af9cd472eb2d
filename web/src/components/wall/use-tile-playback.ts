'use client';

import { type StreamProfile, type WallPlayback, wallPlaybackPosition } from '@wall/protocol';
import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import { useSession } from '../../lib/gateway';
import { type PlaybackPlayer, type PlaybackView, usePlaybackPlayer } from '../../lib/playback';
import type { ServerClock } from '../../lib/realtime';
import { steer } from './in-step';

/** How often a tile in playback is steered (ms). */
export const STEER_EVERY_MS = 100;
/** A seek that shows no frame within this long is counted as landed (steered again). */
const SEEK_TIMEOUT_MS = 5000;
/** A frame's time is carried forward at the playing rate for at most this long (ms). */
const EXTRAPOLATE_MAX_MS = 100;
/** A hole in the recording shorter than this is played through, not waited out (ms). */
const GAP_MIN_MS = 200;

export interface TilePlaybackOptions {
  /** The camera to play back; null when the tile is not in playback. */
  cameraId: string | null;
  profile: StreamProfile;
  /** The wall's playback clock. */
  playback: WallPlayback | null;
  clock: ServerClock;
  video: RefObject<HTMLVideoElement | null>;
}

const SETTLED: ReadonlySet<PlaybackView['state']> = new Set(['playing', 'paused', 'waiting', 'ended']);

export interface TilePlayback {
  view: PlaybackView;
  /** The wall's moment is in a hole of this camera's recording: the tile waits, paused, for its end. */
  inGap: boolean;
}

/**
 * A wall tile in playback: the camera's recordings through the playback player (`lib/playback`:
 * its own `POST /api/cameras/:id/playback`, decided and audited for this camera and range — a
 * refusal shows on this tile only), steered every 100 ms onto the wall's moment by `steer()`
 * (`in-step.ts`): the rate changed slightly for a small drift, a seek for a large one (inside the
 * loaded playlist by its time map, else a new playlist), paused on the paused moment; a moment in
 * a hole of the recording is waited out paused (`inGap`) until the wall reaches footage again. The last
 * drift and presented time are written on the video element (`data-drift-ms`,
 * `data-presented-ms`) for the tests, without a re-render.
 */
export function useTilePlayback({
  cameraId,
  profile,
  playback,
  clock,
  video,
}: TilePlaybackOptions): TilePlayback {
  const { client } = useSession();
  const frame = useRef<{ wallMs: number; at: number } | null>(null);
  const seek = useRef<{ startedAt: number } | null>(null);
  const seekLatencyMs = useRef(0);

  const onFrame = useCallback(
    (wallMs: number) => {
      const now = performance.now();
      frame.current = { wallMs, at: now };
      if (seek.current && !video.current?.seeking) {
        seekLatencyMs.current = now - seek.current.startedAt;
        seek.current = null;
      }
    },
    [video],
  );

  const { view, player } = usePlaybackPlayer({
    cameraId,
    profile,
    source: client,
    gatewayUrl: client.baseUrl,
    video,
    onFrame,
  });

  const [inGap, setInGap] = useState(false);
  const clockRef = useRef(playback);
  clockRef.current = playback;
  const now = clock.now;

  useEffect(() => {
    const v = video.current;
    if (!player || !v) return;
    frame.current = null;
    seek.current = null;
    let failedFor: WallPlayback | null = null;
    /** End (wall ms) of the recording hole the wall's moment is in; null when not in one. */
    let gapUntil: number | null = null;
    const gap = (until: number | null) => {
      gapUntil = until;
      setInGap(until !== null);
    };

    const seekTo = (p: PlaybackPlayer, ms: number, paused: boolean) => {
      seek.current = { startedAt: performance.now() };
      frame.current = null;
      const win = p.view.window;
      const map = p.timeMap;
      if (map && win && SETTLED.has(p.view.state) && ms >= win.from && ms < win.to) {
        const pos = map.wallToMedia(ms);
        if (pos.kind !== 'after') {
          v.currentTime = pos.media;
          if (!paused) void v.play().catch(() => undefined);
          return;
        }
      }
      void p.play(ms); // outside the loaded playlist: a new one
    };

    const tick = () => {
      const wall = clockRef.current;
      if (!wall) return;
      const target = {
        footageMs: wallPlaybackPosition(wall, now()),
        speed: wall.speed,
        paused: wall.paused,
      };
      const state = player.view.state;
      if (state === 'denied') return; // a refusal stands; the tile says why
      if (state === 'error' || state === 'damaged') {
        // Tried again only when the wall's clock changes (a seek, a new moment).
        if (failedFor === null) failedFor = wall;
        if (failedFor === wall) return;
        failedFor = null;
        seekTo(player, target.footageMs, target.paused);
        return;
      }
      if (gapUntil !== null) {
        // Waiting out a hole: paused until the wall reaches recorded footage again.
        if (target.footageMs < gapUntil && !wall.paused) {
          if (!v.paused) v.pause();
          return;
        }
        gap(null);
        seekTo(player, target.footageMs, target.paused);
        return;
      }
      const t = performance.now();
      if (seek.current && t - seek.current.startedAt > SEEK_TIMEOUT_MS) seek.current = null;
      const seeking = seek.current !== null || state === 'loading';
      const f = frame.current;
      const presentedMs =
        f === null
          ? null
          : v.paused || seeking
            ? f.wallMs
            : f.wallMs + Math.min(t - f.at, EXTRAPOLATE_MAX_MS) * v.playbackRate;
      const s = steer(target, { presentedMs, seeking, seekLatencyMs: seekLatencyMs.current });
      if (s.paused && !v.paused) v.pause();
      if (s.seekToMs !== null) {
        if (state !== 'idle' && seeking) return;
        const pos = player.timeMap?.wallToMedia(target.footageMs);
        if (
          pos &&
          (pos.kind === 'gap' || pos.kind === 'before') &&
          pos.wall - target.footageMs > GAP_MIN_MS
        ) {
          v.pause();
          gap(pos.wall);
          return;
        }
        seekTo(player, s.seekToMs, s.paused);
        return;
      }
      if (Math.abs(v.playbackRate - s.rate) > 0.001) v.playbackRate = s.rate;
      if (!s.paused && v.paused && !seeking) void v.play().catch(() => undefined);
      v.dataset.driftMs = s.driftMs === null ? '' : String(Math.round(s.driftMs));
      v.dataset.presentedMs = presentedMs === null ? '' : String(Math.round(presentedMs));
    };

    const first = clockRef.current;
    if (first) seekTo(player, wallPlaybackPosition(first, now()), first.paused);
    const timer = setInterval(tick, STEER_EVERY_MS);
    return () => {
      clearInterval(timer);
      setInGap(false);
    };
  }, [player, video, now]);

  return { view, inGap };
}
