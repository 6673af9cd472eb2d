'use client';

import { layoutTiles, type StreamProfile } from '@wall/protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Lang } from '../../lib/i18n';
import {
  cameraStates,
  statusKey,
  useCameraStatus,
  useIncidents,
  useRealtimeConnection,
  useServerClock,
  useWall,
} from '../../lib/realtime';
import { useCameraMapData, useMapClient } from '../map';
import { ConsoleSide, ConsoleStatus, ConsoleToolbar } from './console-panels';
import { WallGrid } from './grid';
import { HelpDialog } from './help-dialog';
import { PlaybackBar } from './playback-bar';
import { reasonText, wallStrings } from './strings';
import { TourDialog } from './tour-dialog';
import { useConsoleKeys } from './use-console-keys';
import { type ConsoleSnapshot, camerasOn, useWallCommands } from './use-wall-commands';
import { useWallPlayback } from './use-wall-playback';
import styles from './wall.module.css';

type Dialog = { kind: 'help' } | { kind: 'tour'; index: number } | null;

/**
 * The wall console (/walls/:id): the map and camera search on the left (`ConsoleSide`), the wall
 * on the right with its toolbar and status bar. Every change is a wall command over the realtime
 * socket with the version it was made against (`useWallCommands`); every console and display of
 * the wall follows `wall:updated`. The playback bar rewinds the whole wall to a moment
 * (`useWallPlayback`); its tiles play in step on the server's clock. Keyboard shortcuts:
 * `useConsoleKeys`.
 */
export function WallConsole({ wallId, lang }: { wallId: string; lang: Lang }) {
  const t = wallStrings(lang);
  const wall = useWall(wallId);
  const connection = useRealtimeConnection();
  const state = wall.state;
  const mapClient = useMapClient();
  const { data: mapData, error: mapError } = useCameraMapData();
  const loadIncidents = useCallback(() => mapClient.openIncidents(), [mapClient]);
  const incidents = useIncidents(loadIncidents);
  const onWall = useMemo(() => camerasOn(state), [state]);
  const statuses = useCameraStatus(onWall);

  const [selected, setSelected] = useState<number | null>(null);
  const [fullscreen, setFullscreen] = useState<number | null>(null);
  const [picking, setPicking] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [mapCamera, setMapCamera] = useState<string | null>(null);

  const count = state ? layoutTiles(state.layout).count : 0;
  const latest = useRef<ConsoleSnapshot>({ state, selected, fullscreen, count });
  latest.current = { state, selected, fullscreen, count };

  // Selection and full screen stay inside the layout.
  useEffect(() => {
    if (selected !== null && selected >= count) setSelected(null);
    if (fullscreen !== null && fullscreen >= count) setFullscreen(null);
  }, [count, selected, fullscreen]);

  const commands = useWallCommands(wall, latest, lang);
  const { assign, pullNearest } = commands;
  const clock = useServerClock();
  const playback = useWallPlayback(latest, clock, commands);

  const onSearchSelect = useCallback(
    (cameraId: string) => {
      setMapCamera(cameraId);
      if (latest.current.selected !== null) assign(latest.current.selected, cameraId);
    },
    [assign],
  );

  const toggleFullscreen = useCallback((index: number) => {
    setSelected(index);
    setFullscreen((f) => (f === index ? null : index));
  }, []);

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

  const closeDialog = useCallback(() => setDialog(null), []);
  const openHelp = useCallback(() => setDialog({ kind: 'help' }), []);
  const openTour = useCallback((index: number) => setDialog({ kind: 'tour', index }), []);
  useConsoleKeys(latest, {
    dialogOpen: dialog !== null,
    picking,
    closeDialog,
    openHelp,
    openTour,
    setPicking,
    setSelected,
    setFullscreen,
    toggleFullscreen,
    setLayout: commands.setLayout,
    clear: commands.clear,
    playback,
  });

  const remoteState = useCallback(
    (cameraId: string, profile: StreamProfile) => statuses.get(statusKey(cameraId, profile))?.state,
    [statuses],
  );

  // The map colours cameras on the wall by their stream state.
  const mapStatuses = useMemo(() => cameraStates(statuses), [statuses]);

  const refused = wall.error ?? (connection.state === 'refused' ? connection : null);

  return (
    <div className={styles.console} data-testid="wall-console" data-wall-id={wallId}>
      <ConsoleSide
        data={mapData}
        error={mapError}
        incidents={incidents}
        statuses={mapStatuses}
        selectedCameraId={mapCamera}
        onSelectCamera={setMapCamera}
        onSearchSelect={onSearchSelect}
        onSendToWall={commands.sendToWall}
        pickPoint={pickPoint}
      />
      <section className={styles.main}>
        <ConsoleToolbar
          wallId={wallId}
          lang={lang}
          state={state}
          selected={selected}
          fullscreen={fullscreen}
          picking={picking}
          onLayout={commands.setLayout}
          onClear={commands.clear}
          onToggleFullscreen={toggleFullscreen}
          onTour={openTour}
          onTogglePicking={() => setPicking((p) => !p)}
          onHelp={openHelp}
        />
        <PlaybackBar
          lang={lang}
          playback={state?.playback ?? null}
          clock={clock}
          controls={playback}
          disabled={!state}
        />
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
              onSwap={commands.swap}
              clock={clock}
              onToggleTileMode={playback.toggleTileMode}
            />
          ) : (
            <div className={styles.muted}>
              {refused ? `${t.joinFailed}: ${reasonText(lang, refused.code)} (${refused.code})` : '…'}
            </div>
          )}
        </div>
        <ConsoleStatus
          lang={lang}
          connection={connection}
          state={state}
          picking={picking}
          message={commands.message}
        />
      </section>
      {dialog?.kind === 'help' ? <HelpDialog lang={lang} onClose={closeDialog} /> : null}
      {dialog?.kind === 'tour' && state ? (
        <TourDialog
          lang={lang}
          index={dialog.index}
          current={state.tiles[dialog.index]?.tour}
          onClose={closeDialog}
          onStart={(cameraIds, intervalS) => {
            setDialog(null);
            commands.setTour(dialog.index, { cameraIds, intervalS });
          }}
          onEnd={() => {
            setDialog(null);
            commands.setTour(dialog.index, null);
          }}
        />
      ) : null}
    </div>
  );
}
