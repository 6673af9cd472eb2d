'use client';

import type { StreamProfile } from '@wall/protocol';
import { type RefObject, useEffect, useRef, useState } from 'react';
import { useGrantCache, useViewerPool } from './live-context';
import { type GrantSource, INITIAL_VIEW, LivePlayer, type LiveView } from './player';

export interface UseLivePlayerOptions {
  /** The camera to play; null plays nothing. A new camera gets a new player. */
  cameraId: string | null;
  profile: StreamProfile;
  /** The media node's status of (camera, profile) (`camera:status`), when known. */
  remoteState?: string | undefined;
  /** Grants and their renewals (the gateway). */
  source: GrantSource;
  /** Two video elements (see `LivePlayerOptions.videos`); the same ref twice for one element. */
  videos: readonly [RefObject<HTMLVideoElement | null>, RefObject<HTMLVideoElement | null>];
  /** Take first grants from the page's grant cache (prefetched ones). Default true. */
  useCache?: boolean;
}

/**
 * Plays a camera into the videos with the page's viewer pool (see `LivePlayer`). Returns what the
 * player shows.
 */
export function useLivePlayer({
  cameraId,
  profile,
  remoteState,
  source,
  videos,
  useCache = true,
}: UseLivePlayerOptions): LiveView {
  const pool = useViewerPool();
  const cache = useGrantCache();
  const grants = useCache ? cache : null;
  // The view belongs to a camera: a player that just changed camera shows nothing of the last one.
  const [held, setHeld] = useState<{ cameraId: string | null; view: LiveView }>({
    cameraId: null,
    view: INITIAL_VIEW,
  });
  const player = useRef<LivePlayer | null>(null);
  const profileRef = useRef(profile);
  profileRef.current = profile;
  const [refA, refB] = videos;

  useEffect(() => {
    const a = refA.current;
    const b = refB.current;
    if (!cameraId || !pool || !a || !b) {
      setHeld({ cameraId, view: INITIAL_VIEW });
      return;
    }
    const setView = (view: LiveView) => setHeld({ cameraId, view });
    const p = new LivePlayer({
      cameraId,
      source,
      ...(grants ? { grants } : {}),
      pool,
      videos: [a, b],
      onView: setView,
    });
    player.current = p;
    setView(p.view);
    p.setProfile(profileRef.current);
    return () => {
      p.close();
      if (player.current === p) player.current = null;
      a.srcObject = null;
      b.srcObject = null;
    };
  }, [cameraId, pool, source, grants, refA, refB]);

  useEffect(() => {
    player.current?.setProfile(profile);
  }, [profile]);

  useEffect(() => {
    player.current?.setRemoteState(remoteState);
  }, [remoteState]);

  return held.cameraId === cameraId ? held.view : INITIAL_VIEW;
}
