'use client';

import type { StreamProfile } from '@wall/protocol';
import { type RefObject, useEffect, useRef, useState } from 'react';
import { useSession } from '../../lib/gateway';
import { useGrantCache, useViewerPool } from './live-context';
import { INITIAL_VIEW, TilePlayer, type TileView } from './tile-player';

/**
 * Plays `cameraId` into the two videos (see `TilePlayer`); a new camera gets a new player. Returns
 * what the tile shows.
 */
export function useTilePlayer(
  cameraId: string | null,
  profile: StreamProfile,
  remoteState: string | undefined,
  videos: readonly [RefObject<HTMLVideoElement | null>, RefObject<HTMLVideoElement | null>],
): TileView {
  const { client } = useSession();
  const pool = useViewerPool();
  const grants = useGrantCache();
  // The view belongs to a camera: a tile that just changed camera shows nothing of the last one.
  const [held, setHeld] = useState<{ cameraId: string | null; view: TileView }>({
    cameraId: null,
    view: INITIAL_VIEW,
  });
  const player = useRef<TilePlayer | null>(null);
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
    const setView = (view: TileView) => setHeld({ cameraId, view });
    const p = new TilePlayer({
      cameraId,
      gateway: client,
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
  }, [cameraId, pool, client, grants, refA, refB]);

  useEffect(() => {
    player.current?.setProfile(profile);
  }, [profile]);

  useEffect(() => {
    player.current?.setRemoteState(remoteState);
  }, [remoteState]);

  return held.cameraId === cameraId ? held.view : INITIAL_VIEW;
}
