'use client';

import { layoutTiles, type WallLayout } from '@wall/protocol';
import { type RefObject, useEffect } from 'react';
import { type Direction, LAYOUT_KEYS, neighbour } from './layout-math';
import type { ConsoleSnapshot } from './use-wall-commands';
import { STEP_S, type WallPlaybackControls } from './use-wall-playback';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target.tagName === 'INPUT' ||
    target.tagName === 'TEXTAREA' ||
    target.tagName === 'SELECT'
  );
}

const ARROWS: Readonly<Record<string, Direction>> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
};

/** Wall playback keys (lower-case `key`) → what they do (with the selected tile). */
const PLAYBACK_KEYS: Readonly<Record<string, (p: WallPlaybackControls, selected: number | null) => void>> = {
  r: (p) => p.rewind(1),
  p: (p) => p.togglePause(),
  ' ': (p) => p.togglePause(),
  '[': (p) => p.stepSpeed(-1),
  ']': (p) => p.stepSpeed(1),
  ',': (p) => p.step(-STEP_S),
  '.': (p) => p.step(STEP_S),
  l: (p) => p.backToLive(),
  m: (p, sel) => {
    if (sel !== null) p.toggleTileMode(sel);
  },
};

export interface ConsoleKeyActions {
  /** A dialog is open (Escape closes it; other keys are the dialog's). */
  dialogOpen: boolean;
  picking: boolean;
  closeDialog(): void;
  openHelp(): void;
  openTour(index: number): void;
  setPicking(update: (picking: boolean) => boolean): void;
  setSelected(index: number | null): void;
  setFullscreen(index: number | null): void;
  toggleFullscreen(index: number): void;
  setLayout(layout: WallLayout): void;
  clear(index: number): void;
  /** The wall's playback (R, P/Space, [ ], , ., M, L). */
  playback: WallPlaybackControls;
}

/**
 * The console's keyboard shortcuts (see the help dialog): Escape, ? help, Shift+digit layouts,
 * 1–9 and the arrows select, Delete clears, F full screen, T tour, N pull nearest; wall playback:
 * R rewind 1 min, P/Space pause/resume, [ ] slower/faster, , . 10 s back/forward, M the selected
 * tile live/playback, L back to live. Keys typed into a field are left alone.
 */
export function useConsoleKeys(latest: RefObject<ConsoleSnapshot>, a: ConsoleKeyActions): void {
  const {
    dialogOpen,
    picking,
    closeDialog,
    openHelp,
    openTour,
    setPicking,
    setSelected,
    setFullscreen,
    toggleFullscreen,
    setLayout,
    clear,
    playback,
  } = a;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const { state: s, selected: sel, fullscreen: fs, count: n } = latest.current;
      if (e.key === 'Escape') {
        if (dialogOpen) closeDialog();
        else if (picking) setPicking(() => false);
        else if (fs !== null) setFullscreen(null);
        else setSelected(null);
        return;
      }
      if (dialogOpen || !s) return;
      if (e.key === '?') {
        e.preventDefault();
        openHelp();
        return;
      }
      const layout = LAYOUT_KEYS[e.code];
      if (e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && layout) {
        e.preventDefault();
        setLayout(layout);
        return;
      }
      if (e.ctrlKey || e.altKey || e.metaKey || e.shiftKey) return;
      if (/^Digit[1-9]$/.test(e.code)) {
        const i = Number(e.code.slice(5)) - 1;
        if (i < n) {
          e.preventDefault();
          setSelected(i);
          if (fs !== null) setFullscreen(i);
        }
        return;
      }
      const dir = ARROWS[e.key];
      if (dir) {
        e.preventDefault();
        const next = sel === null ? 0 : neighbour(layoutTiles(s.layout), sel, dir);
        setSelected(next);
        if (fs !== null) setFullscreen(next);
        return;
      }
      if ((e.key === 'Delete' || e.key === 'Backspace') && sel !== null) {
        e.preventDefault();
        clear(sel);
        return;
      }
      const key = e.key.toLowerCase();
      const wallKey = PLAYBACK_KEYS[key];
      if (wallKey) {
        e.preventDefault();
        wallKey(playback, sel);
        return;
      }
      if (key === 'f' && sel !== null) {
        e.preventDefault();
        toggleFullscreen(sel);
      } else if (key === 't' && sel !== null) {
        e.preventDefault();
        openTour(sel);
      } else if (key === 'n') {
        e.preventDefault();
        setPicking((p) => !p);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [
    latest,
    dialogOpen,
    picking,
    closeDialog,
    openHelp,
    openTour,
    setPicking,
    setSelected,
    setFullscreen,
    toggleFullscreen,
    setLayout,
    clear,
    playback,
  ]);
}
