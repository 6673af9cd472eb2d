'use client';

import type { CameraItem } from '@wall/protocol';
import { useEffect, useRef, useState } from 'react';
import { toLiveViewerError } from '../../lib/live/errors';
import type { LiveStream, LiveViewer } from '../../lib/live/viewer-client';
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

/** Snapshot retries while the node waits for the first key frame after the ingest started. */
const SNAPSHOT_RETRIES = 12;
const SNAPSHOT_RETRY_MS = 600;

/**
 * The preview of one camera: its file, a snapshot at once (a stream token for the sub profile →
 * the media node's JPEG of the latest key frame), live video on demand, "send to wall" and a handle
 * to drag it onto a wall tile. Unmounting stops the live stream.
 */
export function CameraPreview({ camera, status, onClose, onSendToWall }: CameraPreviewProps) {
  const client = useMapClient();
  const { lang } = useMapSettings();
  const t = mapMessages(lang);
  const [item, setItem] = useState<CameraItem | undefined>(undefined);
  const [snapshot, setSnapshot] = useState<Snapshot>({ state: 'loading' });
  const [live, setLive] = useState<Live>({ state: 'off' });
  const grant = useRef<LiveGrant | undefined>(undefined);
  const attempts = useRef(0);
  const video = useRef<HTMLVideoElement | null>(null);
  const session = useRef<{ viewer: LiveViewer | null; stream: LiveStream | null; closed: boolean } | null>(
    null,
  );

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

  // Stop the live stream when the preview closes or shows another camera.
  // biome-ignore lint/correctness/useExhaustiveDependencies: stop when the camera changes
  useEffect(
    () => () => {
      stopLive();
    },
    [camera.id],
  );

  function stopLive() {
    const s = session.current;
    session.current = null;
    if (!s) return;
    s.closed = true;
    s.stream?.close();
    s.viewer?.close();
    if (video.current) video.current.srcObject = null;
    setLive({ state: 'off' });
  }

  async function startLive() {
    if (session.current) return;
    const s: { viewer: LiveViewer | null; stream: LiveStream | null; closed: boolean } = {
      viewer: null,
      stream: null,
      closed: false,
    };
    session.current = s;
    setLive({ state: 'connecting' });
    try {
      const g = await client.live(camera.id, 'sub');
      const { LiveViewer: Viewer } = await import('../../lib/live/viewer-client');
      if (s.closed) return;
      const viewer = new Viewer();
      s.viewer = viewer;
      await viewer.connect(g.nodeUrl, g.token);
      const stream = await viewer.play(g.token, {
        refreshToken: async () => (await client.live(camera.id, 'sub', { refresh: true })).token,
      });
      if (s.closed) {
        stream.close();
        return;
      }
      s.stream = stream;
      const show = (track: MediaStreamTrack) => {
        const v = video.current;
        if (!v) return;
        v.muted = true;
        v.srcObject = new MediaStream([track]);
        v.play().catch(() => undefined);
      };
      show(stream.track);
      stream.onTrack(show);
      stream.onStateChange((state, err) => {
        if (s.closed) return;
        if (state === 'failed')
          setLive({ state: 'error', code: String((err ?? stream.error)?.code ?? 'failed') });
        else if (state === 'live') setLive({ state: 'live' });
        else if (state === 'resubscribing') setLive({ state: 'connecting' });
      });
      setLive({ state: 'live' });
    } catch (err) {
      if (s.closed) return;
      s.viewer?.close();
      session.current = null;
      if (err instanceof GatewayError) {
        setLive(
          err.status === 403 ? { state: 'denied', code: err.code } : { state: 'error', code: err.code },
        );
      } else {
        setLive({ state: 'error', code: String(toLiveViewerError(err).code) });
      }
    }
  }

  const name = item?.name ?? camera.name;
  const liveOn = live.state === 'connecting' || live.state === 'live';
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
          hidden={!liveOn}
          muted
          playsInline
          autoPlay
          data-testid="preview-video"
        />
        {!liveOn && snapshot.state === 'ready' && (
          // biome-ignore lint/performance/noImgElement: a JPEG from the media node, not a static asset
          <img
            src={snapshot.src}
            alt={t.snapshot}
            className={styles.previewImage}
            onError={onSnapshotError}
            data-testid="preview-snapshot"
          />
        )}
        {!liveOn && snapshot.state === 'loading' && (
          <div className={styles.previewNote}>{t.snapshotLoading}</div>
        )}
        {!liveOn && (snapshot.state === 'denied' || snapshot.state === 'error') && (
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
        {liveOn ? (
          <button type="button" onClick={stopLive} data-testid="preview-stop">
            {t.stopLive}
          </button>
        ) : (
          <button
            type="button"
            onClick={() => void startLive()}
            disabled={snapshot.state === 'denied'}
            data-testid="preview-live"
          >
            {t.live}
          </button>
        )}
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
