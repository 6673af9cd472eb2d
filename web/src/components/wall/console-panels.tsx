'use client';

import {
  type Incident,
  type StreamState,
  WALL_LAYOUTS,
  type WallLayout,
  type WallState,
} from '@wall/protocol';
import Link from 'next/link';
import type { Lang } from '../../lib/i18n';
import type { RealtimeConnection } from '../../lib/realtime';
import { CameraMap, type CameraMapData, CameraSearch } from '../map';
import { wallStrings } from './strings';
import type { ConsoleMessage } from './use-wall-commands';
import styles from './wall.module.css';

/** The console's left side: camera search above the map (incidents, cameras coloured by stream state). */
export function ConsoleSide({
  data,
  error,
  incidents,
  statuses,
  selectedCameraId,
  onSelectCamera,
  onSearchSelect,
  onSendToWall,
  pickPoint,
}: {
  data: CameraMapData | undefined;
  error: string | undefined;
  incidents: Incident[];
  statuses: Record<string, StreamState>;
  selectedCameraId: string | null;
  onSelectCamera(cameraId: string | null): void;
  onSearchSelect(cameraId: string): void;
  onSendToWall(cameraId: string): void;
  pickPoint: ((lon: number, lat: number) => void) | null;
}) {
  return (
    <aside className={styles.side}>
      <div className={styles.sideSearch}>
        <CameraSearch data={data} onSelect={onSearchSelect} />
      </div>
      <div className={styles.mapBox}>
        <CameraMap
          className={styles.mapFill}
          data={data}
          incidents={incidents}
          statuses={statuses}
          selectedCameraId={selectedCameraId}
          onSelectCamera={onSelectCamera}
          onSendToWall={onSendToWall}
          pickPoint={pickPoint}
        />
        {error ? <div className={`${styles.muted} ${styles.bad}`}>{error}</div> : null}
      </div>
    </aside>
  );
}

/** The console's toolbar: layouts, the selected tile's actions, pull nearest, display and help. */
export function ConsoleToolbar({
  wallId,
  lang,
  state,
  selected,
  fullscreen,
  picking,
  onLayout,
  onClear,
  onToggleFullscreen,
  onTour,
  onTogglePicking,
  onHelp,
}: {
  wallId: string;
  lang: Lang;
  state: WallState | null;
  selected: number | null;
  fullscreen: number | null;
  picking: boolean;
  onLayout(layout: WallLayout): void;
  onClear(index: number): void;
  onToggleFullscreen(index: number): void;
  onTour(index: number): void;
  onTogglePicking(): void;
  onHelp(): void;
}) {
  const t = wallStrings(lang);
  const selectedTile = selected !== null ? state?.tiles[selected] : undefined;
  return (
    <div className={styles.toolbar} role="toolbar" aria-label={t.layout}>
      <span>{t.layout}</span>
      <div className={styles.layouts}>
        {WALL_LAYOUTS.map((l) => (
          <button
            key={l}
            type="button"
            className={styles.layoutButton}
            aria-pressed={state?.layout === l}
            onClick={() => onLayout(l)}
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
        onClick={() => selected !== null && onClear(selected)}
        data-testid="tile-clear"
      >
        {t.clear}
      </button>
      <button
        type="button"
        disabled={selected === null}
        onClick={() => selected !== null && onToggleFullscreen(selected)}
        data-testid="tile-fullscreen"
      >
        {fullscreen !== null ? t.exitFullscreen : t.fullscreen}
      </button>
      <button
        type="button"
        disabled={selected === null}
        onClick={() => selected !== null && onTour(selected)}
        data-testid="tile-tour"
      >
        {t.tour}
      </button>
      <span className={styles.sep} />
      <button
        type="button"
        className={picking ? styles.primary : undefined}
        onClick={onTogglePicking}
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
      <button type="button" onClick={onHelp} data-testid="help-button">
        ? {t.help}
      </button>
    </div>
  );
}

/** The console's status bar: the realtime connection, the wall's version, hints and the last command's outcome. */
export function ConsoleStatus({
  lang,
  connection,
  state,
  picking,
  message,
}: {
  lang: Lang;
  connection: RealtimeConnection;
  state: WallState | null;
  picking: boolean;
  message: ConsoleMessage | null;
}) {
  const t = wallStrings(lang);
  return (
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
  );
}
