'use client';

import { layoutTiles, type StreamProfile, type WallState } from '@wall/protocol';
import { useEffect, useRef, useState } from 'react';
import type { Lang } from '../../lib/i18n';
import type { ServerClock } from '../../lib/realtime';
import { gridArea, tileProfile } from './layout-math';
import { WallTileView } from './tile';
import styles from './wall.module.css';

export interface WallGridProps {
  state: WallState;
  lang: Lang;
  remoteState?: (cameraId: string, profile: StreamProfile) => string | undefined;
  interactive?: boolean;
  selected?: number | null;
  fullscreen?: number | null;
  onSelect?: (index: number) => void;
  onToggleFullscreen?: (index: number) => void;
  onDropCamera?: (index: number, cameraId: string) => void;
  onSwap?: (from: number, to: number) => void;
  /** The server's clock: tiles in playback follow the wall's playback clock on it. */
  clock: ServerClock;
  /** Console: a tile between live and the wall's playback. */
  onToggleTileMode?: (index: number) => void;
  className?: string;
}

/**
 * The wall's tiles on a CSS grid from the layout's geometry (`layoutTiles`). Tiles are keyed by
 * index, so a layout change keeps the streams of the tiles that stay.
 */
export function WallGrid({
  state,
  lang,
  remoteState,
  interactive = false,
  selected = null,
  fullscreen = null,
  onSelect,
  onToggleFullscreen,
  onDropCamera,
  onSwap,
  clock,
  onToggleTileMode,
  className,
}: WallGridProps) {
  const geo = layoutTiles(state.layout);
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w !== undefined) setWidth(Math.round(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  return (
    <div
      ref={ref}
      className={`${styles.grid} ${className ?? ''}`}
      style={{
        gridTemplateRows: `repeat(${geo.rows}, minmax(0, 1fr))`,
        gridTemplateColumns: `repeat(${geo.cols}, minmax(0, 1fr))`,
      }}
      data-testid="wall-grid"
      data-layout={state.layout}
      data-version={state.version}
      data-playback={state.playback ? 'true' : undefined}
    >
      {geo.tiles.map((g) => {
        const tile = state.tiles[g.index] ?? { index: g.index, cameraId: null };
        const fs = fullscreen === g.index;
        const profile = tileProfile(g, geo, { fullscreen: fs, tileWidthPx: (width * g.colSpan) / geo.cols });
        return (
          <WallTileView
            key={g.index}
            tile={tile}
            profile={profile}
            lang={lang}
            remoteState={remoteState}
            style={fs ? undefined : gridArea(g)}
            selected={selected === g.index}
            fullscreen={fs}
            interactive={interactive}
            onSelect={onSelect}
            onToggleFullscreen={onToggleFullscreen}
            onDropCamera={onDropCamera}
            onSwap={onSwap}
            playback={state.playback}
            clock={clock}
            onToggleTileMode={onToggleTileMode}
          />
        );
      })}
    </div>
  );
}
