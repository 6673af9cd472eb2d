'use client';

import type { WallTile } from '@wall/protocol';
import { useEffect, useState } from 'react';
import { tourPosition } from './layout-math';

/**
 * The camera a tile shows: its camera, or for a touring tile the tour's current camera (changing
 * at the tour's boundaries, computed from its start so every console and display agree).
 */
export function useTileCamera(tile: WallTile | undefined): {
  cameraId: string | null;
  tour: { position: number; count: number; intervalS: number; nextCameraId: string; nextInMs: number } | null;
} {
  const tour = tile?.tour;
  const [now, setNow] = useState(() => Date.now());
  const tourKey = tour ? `${tour.startedAt}|${tour.intervalS}|${tour.cameraIds.join(',')}` : '';

  // biome-ignore lint/correctness/useExhaustiveDependencies: the tour is compared by value (tourKey)
  useEffect(() => {
    if (!tour) return;
    let timer: ReturnType<typeof setTimeout>;
    const schedule = () => {
      const t = Date.now();
      setNow(t);
      timer = setTimeout(schedule, tourPosition(tour, t).nextInMs + 20);
    };
    schedule();
    return () => clearTimeout(timer);
  }, [tourKey]);

  if (!tile) return { cameraId: null, tour: null };
  if (!tour) return { cameraId: tile.cameraId, tour: null };
  const pos = tourPosition(tour, now);
  const n = tour.cameraIds.length;
  return {
    cameraId: pos.cameraId || null,
    tour: {
      position: pos.position,
      count: n,
      intervalS: tour.intervalS,
      nextCameraId: tour.cameraIds[(pos.position + 1) % n] ?? '',
      nextInMs: pos.nextInMs,
    },
  };
}
