'use client';

import { layoutTiles, type WallLayout, type WallState } from '@wall/protocol';
import { type RefObject, useCallback, useState } from 'react';
import { errorBodyOfUnknown, useSession } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import { useGrantCache } from '../../lib/live';
import type { WallCommandInput, WallHandle } from '../../lib/realtime';
import { tileProfile } from './layout-math';
import { reasonText, wallStrings } from './strings';

/** Radii tried in turn by "pull nearest" until the free tiles can be filled (metres). */
export const PULL_RADII_M = [2000, 10_000, 50_000];

/** What the console's commands read at the moment they run (not at render). */
export interface ConsoleSnapshot {
  state: WallState | null;
  selected: number | null;
  fullscreen: number | null;
  count: number;
}

export interface ConsoleMessage {
  text: string;
  bad: boolean;
}

export interface WallCommands {
  /** The last command's outcome, for the status bar. */
  message: ConsoleMessage | null;
  setMessage(message: ConsoleMessage | null): void;
  /** Sends a command; false when refused (the refusal is in the status bar). */
  run(cmd: WallCommandInput): Promise<boolean>;
  assign(index: number, cameraId: string): void;
  /** Sends a camera to the selected tile, else the first free one, else tile 1. */
  sendToWall(cameraId: string): void;
  clear(index: number): void;
  swap(a: number, b: number): void;
  setLayout(layout: WallLayout): void;
  setTour(index: number, tour: { cameraIds: string[]; intervalS: number } | null): void;
  /** Fills the free tiles with the cameras nearest to a point. */
  pullNearest(lon: number, lat: number): Promise<void>;
}

/** Cameras on the wall (assigned and touring), lower-case. */
export function camerasOn(state: WallState | null): string[] {
  if (!state) return [];
  const ids = new Set<string>();
  for (const t of state.tiles) {
    if (t.cameraId) ids.add(t.cameraId.toLowerCase());
    for (const c of t.tour?.cameraIds ?? []) ids.add(c.toLowerCase());
  }
  return [...ids];
}

/** The tile a picked camera goes to: the selected one, else the first free one, else tile 1. */
export function targetTile(state: WallState | null, selected: number | null): number {
  if (selected !== null) return selected;
  const free = state?.tiles.find((tile) => !tile.cameraId && !tile.tour);
  return free?.index ?? 0;
}

/**
 * The console's wall commands: each one is sent over the realtime socket with the version it was
 * made against (`useWall`); a refusal shows in the status bar in words. Assigning a camera asks
 * for its stream at once (the page's grant cache), so the tile that shows it has its token a round
 * trip earlier.
 */
export function useWallCommands(
  wall: WallHandle,
  latest: RefObject<ConsoleSnapshot>,
  lang: Lang,
): WallCommands {
  const t = wallStrings(lang);
  const { client } = useSession();
  const grants = useGrantCache();
  const [message, setMessage] = useState<ConsoleMessage | null>(null);

  const wallSend = wall.send;
  const send = useCallback(
    async (cmd: WallCommandInput): Promise<boolean> => {
      try {
        await wallSend(cmd);
        return true;
      } catch (err) {
        const e = errorBodyOfUnknown(err);
        setMessage({ text: `${t.commandFailed}: ${reasonText(lang, e.code)} (${e.code})`, bad: true });
        return false;
      }
    },
    [wallSend, t, lang],
  );

  const prefetch = useCallback(
    (index: number, cameraId: string) => {
      const { state: s, fullscreen: fs } = latest.current;
      const geo = s ? layoutTiles(s.layout) : null;
      const g = geo?.tiles[index];
      if (!grants || !geo || !g) return;
      grants.prefetch(cameraId, tileProfile(g, geo, { fullscreen: fs === index, tileWidthPx: 0 }));
    },
    [grants, latest],
  );

  const assign = useCallback(
    (index: number, cameraId: string) => {
      setMessage(null);
      prefetch(index, cameraId);
      void send({ type: 'assign', index, cameraId });
    },
    [send, prefetch],
  );

  const sendToWall = useCallback(
    (cameraId: string) => assign(targetTile(latest.current.state, latest.current.selected), cameraId),
    [assign, latest],
  );

  const clear = useCallback(
    (index: number) => {
      const tile = latest.current.state?.tiles[index];
      if (!tile || (!tile.cameraId && !tile.tour)) return;
      void send({ type: 'clear', index });
    },
    [send, latest],
  );

  const swap = useCallback((a: number, b: number) => void send({ type: 'swap', a, b }), [send]);

  const setLayout = useCallback(
    (layout: WallLayout) => {
      if (latest.current.state?.layout === layout) return;
      void send({ type: 'setLayout', layout });
    },
    [send, latest],
  );

  const setTour = useCallback(
    (index: number, tour: { cameraIds: string[]; intervalS: number } | null) =>
      void send({ type: 'setTour', index, tour }),
    [send],
  );

  const pullNearest = useCallback(
    async (lon: number, lat: number) => {
      const s = latest.current.state;
      if (!s) return;
      const free = s.tiles.filter((tile) => !tile.cameraId && !tile.tour).map((tile) => tile.index);
      if (free.length === 0) {
        setMessage({ text: t.noFreeTiles, bad: false });
        return;
      }
      const already = new Set(camerasOn(s));
      let picks: string[] = [];
      try {
        for (const radiusM of PULL_RADII_M) {
          const page = await client.searchCameras({
            near: [lon, lat],
            radiusM,
            state: ['in_service', 'accepted'],
            limit: Math.min(500, free.length + already.size + 20),
          });
          picks = page.items.map((c) => c.id).filter((id) => !already.has(id.toLowerCase()));
          if (picks.length >= free.length) break;
        }
      } catch (err) {
        const e = errorBodyOfUnknown(err);
        setMessage({ text: `${t.commandFailed}: ${reasonText(lang, e.code)} (${e.code})`, bad: true });
        return;
      }
      if (picks.length === 0) {
        setMessage({ text: t.noneNearby, bad: false });
        return;
      }
      // One command per tile, in order; each waits for the previous one's version. The streams
      // are asked for at once meanwhile.
      for (const [i, index] of free.entries()) {
        const cameraId = picks[i];
        if (cameraId) prefetch(index, cameraId);
      }
      let done = 0;
      for (const [i, index] of free.entries()) {
        const cameraId = picks[i];
        if (!cameraId) break;
        const ok = await send({ type: 'assign', index, cameraId });
        if (!ok) break;
        done++;
      }
      setMessage({ text: t.pulled(done), bad: false });
    },
    [client, send, prefetch, t, lang, latest],
  );

  return { message, setMessage, run: send, assign, sendToWall, clear, swap, setLayout, setTour, pullNearest };
}
