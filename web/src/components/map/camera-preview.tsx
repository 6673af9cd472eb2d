'use client';

import type { CameraItem } from '@wall/protocol';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { type LiveView, useLivePlayer } from '../../lib/live';
import { GatewayError, type LiveGrant, snapshotUrl } from './api';
import { districtName, GRADE_COLORS, gradeLabel, lifecycleLabel, STATUS_COLORS, statusLabel } from './camera';
import { useMapClient, useMapSettings } from './context';
import { startCameraDrag } from './drag';
import styles from './map.module.css';
import { denialText, mapMessages } from './strings';
import type { MapCamera, MapStatus } from './types';

export interface CameraPreviewProps {
  camera: MapCamera;
  status: MapStatus;
  onClose(): void;
  onSendToWall?: ((cameraId: string) => void) | undefined;
}

type Snapshot =
  | { state: 'loading' }
  | { state: 'ready'; src: string }
  | { state: 'denied'; code: string }
  | { state: 'error'; code: string };

type Live =
  | { state: 'off' }
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'denied'; code: string }
  | { state: 'error'; code: string };

/** What the preview shows of the player: a denial or an error (another attempt may follow) ends the live view's picture. */
function liveOf(view: LiveView): Live {
  if (view.state === 'denied' || view.state === 'error')
    return { state: view.state, code: view.error?.code ?? 'internal' };
  return { state: view.state };
}

/** Snapshot retries while the node waits for the first key frame after the ingest started. */
const SNAPSHOT_RETRIES = 12;
const SNAPSHOT_RETRY_MS = 600;

/**
 * The preview of one camera: its file, a snapshot at once (a stream token for the sub profile →
 * the media node's JPEG of the latest key frame), live video on demand (the page's `LivePlayer`), "send to wall" and a handle
 * to drag it onto a wall tile. Unmounting stops the live stream.
 */
export function CameraPreview({ camera, status, onClose, onSendToWall }: CameraPreviewProps) {
  const client = useMapClient();
  const { lang } = useMapSettings();
  const t = mapMessages(lang);
  const [item, setItem] = useState<CameraItem | undefined>(undefined);
  const [snapshot, setSnapshot] = useState<Snapshot>({ state: 'loading' });
  const [liveOn, setLiveOn] = useState(false);
  const grant = useRef<LiveGrant | undefined>(undefined);
  const attempts = useRef(0);
  const video = useRef<HTMLVideoElement | null>(null);

  // The camera's file (name, address).
  useEffect(() => {
    let gone = false;
    client
      .camera(camera.id)
      .then((i) => {
        if (!gone) setItem(i);
      })
      .catch(() => undefined);
    return () => {
      gone = true;
    };
  }, [client, camera.id]);

  // The snapshot: one stream token, then the node's JPEG (retried while the first key frame comes).
  useEffect(() => {
    let gone = false;
    setSnapshot({ state: 'loading' });
    attempts.current = 0;
    grant.current = undefined;
    client
      .live(camera.id, 'sub')
      .then((g) => {
        if (gone) return;
        grant.current = g;
        setSnapshot({ state: 'ready', src: snapshotUrl(g, camera.id) });
      })
      .catch((err: unknown) => {
        if (gone) return;
        const code = err instanceof GatewayError ? err.code : 'client:error';
        setSnapshot(
          err instanceof GatewayError && err.status === 403
            ? { state: 'denied', code }
            : { state: 'error', code },
        );
      });
    return () => {
      gone = true;
    };
  }, [client, camera.id]);

  function onSnapshotError() {
    const g = grant.current;
    if (!g || attempts.current >= SNAPSHOT_RETRIES) {
      setSnapshot({ state: 'error', code: 'stream:offline' });
      return;
    }
    attempts.current += 1;
    const n = attempts.current;
    setTimeout(() => {
      if (grant.current === g) setSnapshot({ state: 'ready', src: `${snapshotUrl(g, camera.id)}&n=${n}` });
    }, SNAPSHOT_RETRY_MS);
  }

  // The live view goes when the preview closes or shows another camera.
  // biome-ignore lint/correctness/useExhaustiveDependencies: stop when the camera changes
  useEffect(() => setLiveOn(false), [camera.id]);
  const player = useLivePlayer({
    cameraId: liveOn ? camera.id : null,
    profile: 'sub',
    source: client,
    videos: [video, video],
    useCache: false,
  });
  const live = liveOn ? liveOf(player) : ({ state: 'off' } as const);

  const name = item?.name ?? camera.name;
  const playing = live.state === 'connecting' || live.state === 'live';
  return (
    <div className={styles.preview} data-testid="camera-preview" data-camera-id={camera.id}>
      <header className={styles.previewHeader}>
        <button
          type="button"
          className={styles.dragHandle}
          draggable
          onDragStart={(e) => startCameraDrag(e, camera.id)}
          title={t.dragToWall}
          aria-label={t.dragToWall}
          data-testid="camera-drag-handle"
        >
          ⠿
        </button>
        <strong className={styles.previewName} data-testid="preview-name">
          {name ?? camera.id.slice(0, 8)}
        </strong>
        <button type="button" className={styles.iconButton} onClick={onClose} aria-label={t.close}>
          ×
        </button>
      </header>
      <div className={styles.previewMeta}>
        <span>{districtName(camera.districtCode, lang)}</span>
        <span
          className={styles.badge}
          style={{ borderColor: GRADE_COLORS[camera.grade] }}
          data-grade={camera.grade}
        >
          {gradeLabel(camera.grade, lang)}
        </span>
        <span className={styles.badge}>{lifecycleLabel(camera.state, lang)}</span>
        <span className={styles.statusDot} style={{ background: STATUS_COLORS[status] }} />
        <span>{statusLabel(status, lang)}</span>
        {camera.private && <span className={styles.badge}>{t.private}</span>}
        {camera.emergency && <span className={`${styles.badge} ${styles.badgeAlert}`}>{t.emergency}</span>}
      </div>
      {item?.address && <div className={styles.previewAddress}>{item.address}</div>}
      <div className={styles.previewMedia}>
        <video
          ref={video}
          className={styles.previewVideo}
          hidden={!playing}
          muted
          playsInline
          autoPlay
          data-testid="preview-video"
        />
        {!playing && snapshot.state === 'ready' && (
          // biome-ignore lint/performance/noImgElement: a JPEG from the media node, not a static asset
          <img
            src={snapshot.src}
            alt={t.snapshot}
            className={styles.previewImage}
            onError={onSnapshotError}
            data-testid="preview-snapshot"
          />
        )}
        {!playing && snapshot.state === 'loading' && (
          <div className={styles.previewNote}>{t.snapshotLoading}</div>
        )}
        {!playing && (snapshot.state === 'denied' || snapshot.state === 'error') && (
          <div
            className={styles.previewDenied}
            role="alert"
            data-testid="preview-denied"
            data-code={snapshot.code}
          >
            {denialText(lang, snapshot.code)}
          </div>
        )}
        {(live.state === 'denied' || live.state === 'error') && (
          <div
            className={styles.previewDenied}
            role="alert"
            data-testid="preview-live-error"
            data-code={live.code}
          >
            {denialText(lang, live.code)}
          </div>
        )}
      </div>
      <div className={styles.previewActions}>
        {playing ? (
          <button type="button" onClick={() => setLiveOn(false)} data-testid="preview-stop">
            {t.stopLive}
          </button>
        ) : (
          <button
            type="button"
            onClick={() => {
              if (!liveOn) setLiveOn(true);
              else {
                // After a failure: a new player, as from the start.
                setLiveOn(false);
                setTimeout(() => setLiveOn(true), 0);
              }
            }}
            disabled={snapshot.state === 'denied'}
            data-testid="preview-live"
          >
            {t.live}
          </button>
        )}
        <Link
          href={`/cameras/${encodeURIComponent(camera.id)}/playback${lang === 'en' ? '?lang=en' : ''}`}
          className={styles.linkButton}
          data-testid="preview-playback"
        >
          {t.playback}
        </Link>
        {onSendToWall && (
          <button
            type="button"
            className={styles.primary}
            onClick={() => onSendToWall(camera.id)}
            data-testid="send-to-wall"
          >
            {t.sendToWall}
          </button>
        )}
      </div>
    </div>
  );
}
