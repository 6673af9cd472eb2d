'use client';

import {
  type Incident,
  layoutTiles,
  type StreamProfile,
  type StreamState,
  WALL_LAYOUTS,
  type WallLayout,
  type WallState,
} from '@wall/protocol';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorBodyOfUnknown, useSession } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import {
  statusKey,
  useCameraStatus,
  useRealtime,
  useRealtimeConnection,
  useWall,
  type WallCommandInput,
} from '../../lib/realtime';
import { CameraMap, CameraSearch, useCameraMapData, useMapClient } from '../map';
import { WallGrid } from './grid';
import { HelpDialog } from './help-dialog';
import { type Direction, LAYOUT_KEYS, neighbour, tileProfile } from './layout-math';
import { useGrantCache } from './live-context';
import { reasonText, wallStrings } from './strings';
import { TourDialog } from './tour-dialog';
import styles from './wall.module.css';

/** Radii tried in turn by "pull nearest" until the free tiles can be filled (metres). */
const PULL_RADII_M = [2000, 10_000, 50_000];

type Dialog = { kind: 'help' } | { kind: 'tour'; index: number } | null;

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target.tagName === 'INPUT' ||
    target.tagName === 'TEXTAREA' ||
    target.tagName === 'SELECT'
  );
}

/** Cameras on the wall (assigned and touring). */
function camerasOn(state: WallState | null): string[] {
  if (!state) return [];
  const ids = new Set<string>();
  for (const t of state.tiles) {
    if (t.cameraId) ids.add(t.cameraId.toLowerCase());
    for (const c of t.tour?.cameraIds ?? []) ids.add(c.toLowerCase());
  }
  return [...ids];
}

/** Open incidents for the map: loaded once, then kept by the realtime pushes. */
function useIncidents(): Incident[] {
  const realtime = useRealtime();
  const mapClient = useMapClient();
  const [byId, setById] = useState<ReadonlyMap<string, Incident>>(() => new Map());
  useEffect(() => {
    let live = true;
    mapClient
      .openIncidents()
      .then((list) => {
        if (live) setById(new Map(list.map((i) => [i.id, i])));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [mapClient]);
  useEffect(() => {
    if (!realtime) return;
    const offOpen = realtime.on('incident:opened', (i) => setById((prev) => new Map(prev).set(i.id, i)));
    const offClose = realtime.on('incident:closed', (i) =>
      setById((prev) => {
        const next = new Map(prev);
        next.delete(i.id);
        return next;
      }),
    );
    return () => {
      offOpen();
      offClose();
    };
  }, [realtime]);
  return useMemo(() => [...byId.values()], [byId]);
}

/**
 * The wall console (/walls/:id): the map and camera search on the left, the wall on the right.
 * Every change is a wall command over the realtime socket with the version it was made against;
 * every console and display of the wall follows `wall:updated`.
 */
export function WallConsole({ wallId, lang }: { wallId: string; lang: Lang }) {
  const t = wallStrings(lang);
  const { client } = useSession();
  const wall = useWall(wallId);
  const connection = useRealtimeConnection();
  const state = wall.state;
  const { data: mapData, error: mapError } = useCameraMapData();
  const incidents = useIncidents();
  const onWall = useMemo(() => camerasOn(state), [state]);
  const statuses = useCameraStatus(onWall);

  const [selected, setSelected] = useState<number | null>(null);
  const [fullscreen, setFullscreen] = useState<number | null>(null);
  const [picking, setPicking] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [message, setMessage] = useState<{ text: string; bad: boolean } | null>(null);
  const [mapCamera, setMapCamera] = useState<string | null>(null);

  const count = state ? layoutTiles(state.layout).count : 0;
  const latest = useRef({ state, selected, fullscreen, count });
  latest.current = { state, selected, fullscreen, count };

  // Selection and full screen stay inside the layout.
  useEffect(() => {
    if (selected !== null && selected >= count) setSelected(null);
    if (fullscreen !== null && fullscreen >= count) setFullscreen(null);
  }, [count, selected, fullscreen]);

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

  /** The tile a picked camera goes to: the selected one, else the first free one, else tile 1. */
  const targetTile = useCallback((): number => {
    const { state: s, selected: sel } = latest.current;
    if (sel !== null) return sel;
    const free = s?.tiles.find((tile) => !tile.cameraId && !tile.tour);
    return free?.index ?? 0;
  }, []);

  const grants = useGrantCache();
  /**
   * Asks for the camera's stream while the command is on its way: the tile that shows it takes
   * this grant instead of asking once the wall has changed (a round trip earlier on screen).
   */
  const prefetch = useCallback(
    (index: number, cameraId: string) => {
      const { state: s, fullscreen: fs } = latest.current;
      const geo = s ? layoutTiles(s.layout) : null;
      const g = geo?.tiles[index];
      if (!grants || !geo || !g) return;
      grants.prefetch(cameraId, tileProfile(g, geo, { fullscreen: fs === index, tileWidthPx: 0 }));
    },
    [grants],
  );

  const assign = useCallback(
    (index: number, cameraId: string) => {
      setMessage(null);
      prefetch(index, cameraId);
      void send({ type: 'assign', index, cameraId });
    },
    [send, prefetch],
  );

  const onSearchSelect = useCallback(
    (cameraId: string) => {
      setMapCamera(cameraId);
      if (latest.current.selected !== null) assign(latest.current.selected, cameraId);
    },
    [assign],
  );

  const onSendToWall = useCallback(
    (cameraId: string) => assign(targetTile(), cameraId),
    [assign, targetTile],
  );

  const clear = useCallback(
    (index: number) => {
      const tile = latest.current.state?.tiles[index];
      if (!tile || (!tile.cameraId && !tile.tour)) return;
      void send({ type: 'clear', index });
    },
    [send],
  );

  const swap = useCallback((a: number, b: number) => void send({ type: 'swap', a, b }), [send]);

  const setLayout = useCallback(
    (layout: WallLayout) => {
      if (latest.current.state?.layout === layout) return;
      void send({ type: 'setLayout', layout });
    },
    [send],
  );

  const toggleFullscreen = useCallback((index: number) => {
    setSelected(index);
    setFullscreen((f) => (f === index ? null : index));
  }, []);

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
    [client, send, prefetch, t, lang],
  );

  const pickPoint = useMemo(
    () =>
      picking
        ? (lon: number, lat: number) => {
            setPicking(false);
            void pullNearest(lon, lat);
          }
        : null,
    [picking, pullNearest],
  );

  // Keyboard shortcuts (see the help dialog).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const { state: s, selected: sel, fullscreen: fs, count: n } = latest.current;
      if (e.key === 'Escape') {
        if (dialog) setDialog(null);
        else if (picking) setPicking(false);
        else if (fs !== null) setFullscreen(null);
        else setSelected(null);
        return;
      }
      if (dialog || !s) return;
      if (e.key === '?') {
        e.preventDefault();
        setDialog({ kind: 'help' });
        return;
      }
      if (e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && LAYOUT_KEYS[e.code]) {
        e.preventDefault();
        setLayout(LAYOUT_KEYS[e.code] as WallLayout);
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
      const dirs: Record<string, Direction> = {
        ArrowLeft: 'left',
        ArrowRight: 'right',
        ArrowUp: 'up',
        ArrowDown: 'down',
      };
      const dir = dirs[e.key];
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
      if (key === 'f' && sel !== null) {
        e.preventDefault();
        toggleFullscreen(sel);
      } else if (key === 't' && sel !== null) {
        e.preventDefault();
        setDialog({ kind: 'tour', index: sel });
      } else if (key === 'n') {
        e.preventDefault();
        setPicking((p) => !p);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dialog, picking, setLayout, clear, toggleFullscreen]);

  const remoteState = useCallback(
    (cameraId: string, profile: StreamProfile) => statuses.get(statusKey(cameraId, profile))?.state,
    [statuses],
  );

  // The map colours cameras on the wall by their stream state.
  const mapStatuses = useMemo(() => {
    const out: Record<string, StreamState> = {};
    for (const s of statuses.values()) {
      const id = s.cameraId.toLowerCase();
      if (out[id] !== 'live') out[id] = s.state;
    }
    return out;
  }, [statuses]);

  const selectedTile = selected !== null ? state?.tiles[selected] : undefined;
  const refused = wall.error ?? (connection.state === 'refused' ? connection : null);

  return (
    <div className={styles.console} data-testid="wall-console" data-wall-id={wallId}>
      <aside className={styles.side}>
        <div className={styles.sideSearch}>
          <CameraSearch data={mapData} onSelect={onSearchSelect} />
        </div>
        <div className={styles.mapBox}>
          <CameraMap
            className={styles.mapFill}
            data={mapData}
            incidents={incidents}
            statuses={mapStatuses}
            selectedCameraId={mapCamera}
            onSelectCamera={setMapCamera}
            onSendToWall={onSendToWall}
            pickPoint={pickPoint}
          />
          {mapError ? <div className={`${styles.muted} ${styles.bad}`}>{mapError}</div> : null}
        </div>
      </aside>
      <section className={styles.main}>
        <div className={styles.toolbar} role="toolbar" aria-label={t.layout}>
          <span>{t.layout}</span>
          <div className={styles.layouts}>
            {WALL_LAYOUTS.map((l) => (
              <button
                key={l}
                type="button"
                className={styles.layoutButton}
                aria-pressed={state?.layout === l}
                onClick={() => setLayout(l)}
                disabled={!state}
                data-testid="layout-button"
                data-layout={l}
              >
                {l}
              </button>
            ))}
          </div>
          <span className={styles.sep} />
          <span data-testid="selected-tile">
            {t.selected}: {selected !== null ? selected + 1 : t.none}
          </span>
          <button
            type="button"
            disabled={selected === null || (!selectedTile?.cameraId && !selectedTile?.tour)}
            onClick={() => selected !== null && clear(selected)}
            data-testid="tile-clear"
          >
            {t.clear}
          </button>
          <button
            type="button"
            disabled={selected === null}
            onClick={() => selected !== null && toggleFullscreen(selected)}
            data-testid="tile-fullscreen"
          >
            {fullscreen !== null ? t.exitFullscreen : t.fullscreen}
          </button>
          <button
            type="button"
            disabled={selected === null}
            onClick={() => selected !== null && setDialog({ kind: 'tour', index: selected })}
            data-testid="tile-tour"
          >
            {t.tour}
          </button>
          <span className={styles.sep} />
          <button
            type="button"
            className={picking ? styles.primary : undefined}
            onClick={() => setPicking((p) => !p)}
            disabled={!state}
            data-testid="pull-nearest"
            aria-pressed={picking}
          >
            {picking ? t.cancel : t.pullNearest}
          </button>
          <span className={styles.spacer} />
          <Link href={`/walls/${wallId}/display${lang === 'en' ? '?lang=en' : ''}`} target="_blank">
            {t.openDisplay}
          </Link>
          <button type="button" onClick={() => setDialog({ kind: 'help' })} data-testid="help-button">
            ? {t.help}
          </button>
        </div>
        <div className={styles.wallArea}>
          {state ? (
            <WallGrid
              state={state}
              lang={lang}
              remoteState={remoteState}
              interactive
              selected={selected}
              fullscreen={fullscreen}
              onSelect={setSelected}
              onToggleFullscreen={toggleFullscreen}
              onDropCamera={assign}
              onSwap={swap}
            />
          ) : (
            <div className={styles.muted}>
              {refused ? `${t.joinFailed}: ${reasonText(lang, refused.code)} (${refused.code})` : '…'}
            </div>
          )}
        </div>
        <div className={styles.status} data-testid="console-status">
          <span data-testid="realtime-state" data-state={connection.state}>
            <span className={`${styles.dot} ${connection.state === 'connected' ? styles.dotOk : ''}`} />
            {t.connection}:{' '}
            {connection.state === 'connected'
              ? t.connected
              : connection.state === 'refused'
                ? t.sessionEnded
                : t.disconnected}
          </span>
          {state ? (
            <span>
              {state.name} · {t.layout} {state.layout} · {t.version} {state.version}
            </span>
          ) : null}
          {picking ? <span className={styles.notice}>{t.pickPointHint}</span> : null}
          {message ? (
            <span
              className={message.bad ? styles.bad : styles.notice}
              role="status"
              data-testid="console-message"
            >
              {message.text}
            </span>
          ) : null}
        </div>
      </section>
      {dialog?.kind === 'help' ? <HelpDialog lang={lang} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'tour' && state ? (
        <TourDialog
          lang={lang}
          index={dialog.index}
          current={state.tiles[dialog.index]?.tour}
          onClose={() => setDialog(null)}
          onStart={(cameraIds, intervalS) => {
            setDialog(null);
            void send({ type: 'setTour', index: dialog.index, tour: { cameraIds, intervalS } });
          }}
          onEnd={() => {
            setDialog(null);
            void send({ type: 'setTour', index: dialog.index, tour: null });
          }}
        />
      ) : null}
    </div>
  );
}
