'use client';

import type { StreamProfile } from '@wall/protocol';
import { type RefObject, useEffect, useRef, useState } from 'react';
import { INITIAL_PLAYBACK_VIEW, type PlaybackGrantSource, PlaybackPlayer, type PlaybackView } from './player';

export interface UsePlaybackPlayerOptions {
  /** The camera; null plays nothing. A new camera (or profile) gets a new player. */
  cameraId: string | null;
  profile: StreamProfile;
  source: PlaybackGrantSource;
  gatewayUrl: string;
  video: RefObject<HTMLVideoElement | null>;
  /** Each presented frame's wall-clock time (ms). */
  onFrame?: (wallMs: number) => void;
}

/** A `PlaybackPlayer` for the page's video (destroyed with the component); its view and the player. */
export function usePlaybackPlayer({
  cameraId,
  profile,
  source,
  gatewayUrl,
  video,
  onFrame,
}: UsePlaybackPlayerOptions): { view: PlaybackView; player: PlaybackPlayer | null } {
  const [state, setState] = useState<{ player: PlaybackPlayer | null; view: PlaybackView }>({
    player: null,
    view: INITIAL_PLAYBACK_VIEW,
  });
  const frame = useRef(onFrame);
  frame.current = onFrame;

  useEffect(() => {
    const v = video.current;
    if (!cameraId || !v) return;
    const player: PlaybackPlayer = new PlaybackPlayer({
      cameraId,
      profile,
      source,
      gatewayUrl,
      video: v,
      onView: (view) => setState({ player, view }),
      onFrame: (wall) => frame.current?.(wall),
    });
    setState({ player, view: player.view });
    return () => {
      player.destroy();
      setState({ player: null, view: INITIAL_PLAYBACK_VIEW });
    };
  }, [cameraId, profile, source, gatewayUrl, video]);

  return state;
}
