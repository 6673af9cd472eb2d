'use client';

import { DISTRICTS, type StreamProfile, tileMode, type WallPlayback, type WallTile } from '@wall/protocol';
import { type CSSProperties, type DragEvent, memo, useEffect, useRef } from 'react';
import { useSession } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import { useGrantCache, useLivePlayer } from '../../lib/live';
import type { PlaybackView } from '../../lib/playback';
import type { ServerClock } from '../../lib/realtime';
import { CAMERA_DRAG_TYPE } from '../map';
import { useCameraInfo } from './camera-info';
import { formatFootage } from './playback-bar';
import { reasonText, wallStrings } from './strings';
import { useTilePlayback } from './use-tile-playback';
import { useTileCamera } from './use-tour-camera';
import styles from './wall.module.css';

/** How long before its turn a tour's next camera is asked for. */
const TOUR_PREFETCH_MS = 4000;

/** HTML5 drag type of a tile dragged onto another (swap). */
export const TILE_DRAG_TYPE = 'application/x-wall-tile';

export interface WallTileProps {
  tile: WallTile;
  /** The stream this tile should play at its size. */
  profile: StreamProfile;
  lang: Lang;
  /** Media status of (camera, profile) → its state (`camera:status`). */
  remoteState?: (cameraId: string, profile: StreamProfile) => string | undefined;
  style?: CSSProperties;
  selected?: boolean;
  fullscreen?: boolean;
  /** Console tiles take clicks, drops and drags; display tiles do not. */
  interactive?: boolean;
  onSelect?: (index: number) => void;
  onToggleFullscreen?: (index: number) => void;
  onDropCamera?: (index: number, cameraId: string) => void;
  onSwap?: (from: number, to: number) => void;
  /** The wall's playback clock (null: the wall is live). */
  playback: WallPlayback | null;
  clock: ServerClock;
  /** Console: switch this tile between live and the wall's playback. */
  onToggleTileMode?: (index: number) => void;
}

function hasType(e: DragEvent, type: string): boolean {
  return Array.from(e.dataTransfer.types).includes(type);
}

/**
 * One wall tile: the snapshot, then live video (see `LivePlayer`), with an overlay of the camera's
 * name, district, grade, state and — when refused — the reason in words.
 */
export const WallTileView = memo(function WallTileView({
  tile,
  profile,
  lang,
  remoteState,
  style,
  selected = false,
  fullscreen = false,
  interactive = false,
  onSelect,
  onToggleFullscreen,
  onDropCamera,
  onSwap,
  playback,
  clock,
  onToggleTileMode,
}: WallTileProps) {
  const t = wallStrings(lang);
  const { cameraId, tour } = useTileCamera(tile);
  const videoA = useRef<HTMLVideoElement>(null);
  const videoB = useRef<HTMLVideoElement>(null);
  const videoP = useRef<HTMLVideoElement>(null);
  const mode = tileMode({ playback }, tile);
  const remote = cameraId ? remoteState?.(cameraId, profile) : undefined;
  const { client } = useSession();
  // A tile in playback lets its live stream go (the node stops ingesting it when nobody watches).
  const view = useLivePlayer({
    cameraId: mode === 'live' ? cameraId : null,
    profile,
    remoteState: remote,
    source: client,
    videos: [videoA, videoB],
  });
  const { view: pb, inGap } = useTilePlayback({
    cameraId: mode === 'playback' ? cameraId : null,
    profile,
    playback,
    clock,
    video: videoP,
  });
  const info = useCameraInfo(cameraId);
  const index = tile.index;
  const grants = useGrantCache();

  // A touring tile asks for its next camera's stream a few seconds early: the node ingests it and
  // has a key frame ready when the turn comes.
  const nextCamera = tour && tour.nextCameraId !== cameraId ? tour.nextCameraId : null;
  const nextInMs = tour?.nextInMs ?? 0;
  useEffect(() => {
    if (!grants || !nextCamera) return;
    const timer = setTimeout(
      () => grants.prefetch(nextCamera, profile),
      Math.max(0, nextInMs - TOUR_PREFETCH_MS),
    );
    return () => clearTimeout(timer);
  }, [grants, nextCamera, nextInMs, profile]);

  const state = cameraId ? view.state : 'idle';
  const district = info ? DISTRICTS.find((d) => d.code === info.districtCode) : undefined;
  const stateLabel =
    state === 'live' && view.stalled ? t.stalled : state === 'idle' ? t.idle : t[state as 'live'];

  const onDragOver = (e: DragEvent) => {
    if (!interactive) return;
    if (hasType(e, CAMERA_DRAG_TYPE) || hasType(e, TILE_DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = hasType(e, TILE_DRAG_TYPE) ? 'move' : 'copy';
    }
  };
  const onDrop = (e: DragEvent) => {
    if (!interactive) return;
    e.preventDefault();
    const from = e.dataTransfer.getData(TILE_DRAG_TYPE);
    if (from !== '') {
      const a = Number(from);
      if (Number.isInteger(a) && a !== index) onSwap?.(a, index);
      return;
    }
    const cam = e.dataTransfer.getData(CAMERA_DRAG_TYPE);
    if (cam) onDropCamera?.(index, cam);
  };

  const classes = [
    styles.tile,
    selected ? styles.selected : '',
    fullscreen ? styles.fullscreen : '',
    view.stalled && state === 'live' ? styles.stalledTile : '',
  ].join(' ');

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the wall is driven by keyboard shortcuts on the console
    // biome-ignore lint/a11y/useKeyWithClickEvents: keys 1–9 and the arrows select tiles (see the help)
    <div
      className={classes}
      style={style}
      data-testid="wall-tile"
      data-index={index}
      data-camera-id={cameraId ?? ''}
      data-state={mode === 'playback' ? (cameraId ? pb.state : 'idle') : state}
      data-profile={cameraId ? (view.profile ?? '') : ''}
      data-stalled={cameraId && view.stalled ? 'true' : undefined}
      data-error={cameraId ? (mode === 'playback' ? pb.error?.code : view.error?.code) : undefined}
      data-selected={selected ? 'true' : undefined}
      data-mode={mode}
      data-fullscreen={fullscreen ? 'true' : undefined}
      draggable={interactive && cameraId !== null}
      onDragStart={(e) => {
        e.dataTransfer.setData(TILE_DRAG_TYPE, String(index));
        e.dataTransfer.effectAllowed = 'move';
      }}
      onDragOver={onDragOver}
      onDrop={onDrop}
      onClick={interactive ? () => onSelect?.(index) : undefined}
      onDoubleClick={interactive ? () => onToggleFullscreen?.(index) : undefined}
    >
      {cameraId && mode === 'playback' ? (
        <video
          ref={videoP}
          className={styles.video}
          style={{ zIndex: 3 }}
          data-testid="tile-playback-video"
          data-active={pb.state === 'playing' || pb.state === 'paused' ? 'true' : undefined}
          muted
          playsInline
        />
      ) : null}
      {cameraId && mode === 'live' ? (
        <>
          <video
            ref={videoA}
            className={styles.video}
            style={{ zIndex: view.front === 0 ? 2 : 1 }}
            data-active={view.front === 0 && state === 'live' ? 'true' : undefined}
            muted
            autoPlay
            playsInline
          />
          <video
            ref={videoB}
            className={styles.video}
            style={{ zIndex: view.front === 1 ? 2 : 1 }}
            data-active={view.front === 1 && state === 'live' ? 'true' : undefined}
            muted
            autoPlay
            playsInline
          />
          {view.snapshotUrl ? (
            // biome-ignore lint/performance/noImgElement: a JPEG from the media node, shown only until the first frame
            <img
              className={styles.snapshot}
              src={view.snapshotUrl}
              alt=""
              data-testid="tile-snapshot"
              onError={(e) => {
                e.currentTarget.style.visibility = 'hidden';
              }}
            />
          ) : null}
        </>
      ) : (
        <div className={styles.empty}>{interactive ? t.emptyTile : ''}</div>
      )}
      <div className={styles.overlay}>
        <div className={styles.topRow}>
          <span className={styles.index}>{index + 1}</span>
          {cameraId ? (
            <span className={styles.name} title={info?.address ?? info?.name ?? cameraId}>
              {info?.name ?? cameraId.slice(0, 8)}
            </span>
          ) : null}
          {info ? (
            <span className={`${styles.grade} ${styles[`g${info.grade}`]}`} data-testid="tile-grade">
              {t.grade(info.grade)}
            </span>
          ) : null}
          {interactive && playback && cameraId ? (
            <button
              type="button"
              className={styles.tileModeButton}
              onClick={(e) => {
                e.stopPropagation();
                onToggleTileMode?.(index);
              }}
              title={mode === 'playback' ? t.tileToLive : t.tileToPlayback}
              data-testid="tile-mode"
            >
              {mode === 'playback' ? t.switchToLive : t.switchToPlayback}
            </button>
          ) : null}
        </div>
        {cameraId && mode === 'playback' ? <PlaybackNote view={pb} inGap={inGap} lang={lang} /> : null}
        {cameraId &&
        mode === 'live' &&
        view.error &&
        (state === 'denied' || state === 'error' || state === 'connecting') ? (
          <div className={styles.reason} role="alert" data-testid="tile-error" data-code={view.error.code}>
            {reasonText(lang, view.error.code)}
            <span className={styles.code}>{view.error.code}</span>
          </div>
        ) : null}
        {cameraId && mode === 'live' && view.stalled && state === 'live' ? (
          <div className={styles.stalledNote} data-testid="tile-stalled">
            {t.stalled} · {t.reconnecting}
          </div>
        ) : null}
        {cameraId ? (
          <div className={styles.bottomRow}>
            <span className={styles.district}>
              {district ? (lang === 'en' ? district.nameEn : district.name) : ''}
            </span>
            {tour ? (
              <span className={styles.tourBadge}>
                {t.tourOf(tour.position + 1, tour.count, tour.intervalS)}
              </span>
            ) : null}
            {mode === 'live' && view.profile ? <span className={styles.profile}>{view.profile}</span> : null}
            {mode === 'playback' ? (
              <span
                className={`${styles.state} ${styles[pb.state === 'paused' ? 's_paused' : 's_playback']}`}
              >
                {t.tilePlayback}
              </span>
            ) : (
              <span
                className={`${styles.state} ${styles[`s_${view.stalled && state === 'live' ? 'stalled' : state}`]}`}
                title={playback ? t.tileLiveInPlayback : undefined}
              >
                {playback ? t.tileLiveInPlayback : stateLabel}
              </span>
            )}
          </div>
        ) : null}
        {cameraId && (mode === 'live' ? view.emergency : pb.emergency) ? (
          <span className={styles.emergency} title={mode === 'playback' ? t.emergencyPlayback : undefined}>
            {mode === 'live' ? 'R-ACC-4' : 'R-RET-3'}
          </span>
        ) : null}
      </div>
    </div>
  );
});

/** What a tile in playback says over its video: loading, refused, nothing recorded, damaged, ended. */
function PlaybackNote({ view, inGap, lang }: { view: PlaybackView; inGap: boolean; lang: Lang }) {
  const t = wallStrings(lang);
  const code = view.error?.code;
  let text: string | null = null;
  if (inGap) text = t.noRecording;
  else if (view.state === 'loading' || view.state === 'idle') text = t.loadingRecording;
  else if (view.state === 'damaged')
    text = view.damaged
      ? t.damagedRange(formatFootage(view.damaged.from), formatFootage(view.damaged.to))
      : reasonText(lang, code ?? 'recording:damaged');
  else if (view.state === 'ended') text = t.recordingEnded;
  else if (code === 'playback:not_recorded') text = t.noRecording;
  else if (view.state === 'denied' || view.state === 'error') text = reasonText(lang, code ?? 'internal');
  if (text === null) return null;
  const bad =
    view.state === 'denied' ||
    view.state === 'damaged' ||
    (view.state === 'error' && code !== 'playback:not_recorded');
  return (
    <div
      className={bad ? styles.reason : styles.playbackNote}
      role={bad ? 'alert' : 'status'}
      data-testid="tile-playback-note"
      data-state={inGap ? 'gap' : view.state}
      data-code={code}
    >
      {text}
      {bad && code ? <span className={styles.code}>{code}</span> : null}
    </div>
  );
}
