'use client';

import { WALL_PLAYBACK_SPEEDS, type WallState, wallPlaybackPosition } from '@wall/protocol';
import { type RefObject, useCallback, useMemo } from 'react';
import type { ServerClock } from '../../lib/realtime';
import type { WallCommands } from './use-wall-commands';

/** A moment is asked for at least this long before the server's present (its clock is estimated). */
export const PRESENT_MARGIN_MS = 1000;
/** What `,` and `.` step by (s). */
export const STEP_S = 10;

/** The next speed of the wall's list up (+1) or down (−1) from `speed`; the end stays. */
export function nextSpeed(speed: number, direction: 1 | -1): number {
  const speeds = [...WALL_PLAYBACK_SPEEDS] as number[];
  if (direction > 0) return speeds.find((s) => s > speed) ?? (speeds.at(-1) as number);
  return [...speeds].reverse().find((s) => s < speed) ?? (speeds[0] as number);
}

/** The footage moment to ask for: `ms`, never later than the present less the margin (ISO). */
export function footageMoment(ms: number, serverNowMs: number): string {
  return new Date(Math.min(Math.round(ms), serverNowMs - PRESENT_MARGIN_MS)).toISOString();
}

export interface WallPlaybackControls {
  /** Rewinds the wall `minutes`: from the present when live, else from where it plays. */
  rewind(minutes: number): void;
  /** Plays the wall back from footage time `ms` (starts playback when live). */
  playFrom(ms: number): void;
  togglePause(): void;
  setSpeed(speed: number): void;
  /** One speed up (+1) or down (−1). */
  stepSpeed(direction: 1 | -1): void;
  /** Jumps `seconds` (negative: back) from where the wall plays. */
  step(seconds: number): void;
  backToLive(): void;
  /** A tile between live and the wall's playback (only while the wall plays back). */
  toggleTileMode(index: number): void;
}

/**
 * The wall's playback commands (`playbackStart` … `setTileMode`), computed against the wall's
 * clock as the server keeps it (`clock.now()`): every console and display that follows the wall
 * plays the same moment.
 */
export function useWallPlayback(
  latest: RefObject<{ state: WallState | null }>,
  clock: ServerClock,
  commands: Pick<WallCommands, 'run'>,
): WallPlaybackControls {
  const { run } = commands;
  const now = clock.now;

  const playFrom = useCallback(
    (ms: number) => {
      const s = latest.current.state;
      if (!s) return;
      const at = footageMoment(ms, now());
      void run(s.playback ? { type: 'playbackSeek', at } : { type: 'playbackStart', at, speed: 1 });
    },
    [latest, now, run],
  );

  const position = useCallback(() => {
    const p = latest.current.state?.playback;
    return p ? wallPlaybackPosition(p, now()) : now();
  }, [latest, now]);

  const rewind = useCallback(
    (minutes: number) => playFrom(position() - minutes * 60_000),
    [playFrom, position],
  );

  const step = useCallback(
    (seconds: number) => {
      if (!latest.current.state?.playback) return;
      playFrom(position() + seconds * 1000);
    },
    [latest, playFrom, position],
  );

  const togglePause = useCallback(() => {
    const p = latest.current.state?.playback;
    if (p) void run({ type: 'playbackPause', paused: !p.paused });
  }, [latest, run]);

  const setSpeed = useCallback(
    (speed: number) => {
      const p = latest.current.state?.playback;
      if (p && p.speed !== speed) void run({ type: 'playbackSpeed', speed });
    },
    [latest, run],
  );

  const stepSpeed = useCallback(
    (direction: 1 | -1) => {
      const p = latest.current.state?.playback;
      if (p) setSpeed(nextSpeed(p.speed, direction));
    },
    [latest, setSpeed],
  );

  const backToLive = useCallback(() => {
    if (latest.current.state?.playback) void run({ type: 'playbackLive' });
  }, [latest, run]);

  const toggleTileMode = useCallback(
    (index: number) => {
      const s = latest.current.state;
      const tile = s?.tiles[index];
      if (!s?.playback || !tile) return;
      void run({ type: 'setTileMode', index, mode: tile.mode === 'live' ? 'playback' : 'live' });
    },
    [latest, run],
  );

  return useMemo(
    () => ({ rewind, playFrom, togglePause, setSpeed, stepSpeed, step, backToLive, toggleTileMode }),
    [rewind, playFrom, togglePause, setSpeed, stepSpeed, step, backToLive, toggleTileMode],
  );
}
