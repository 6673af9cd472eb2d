'use client';

import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { emergencyStrings, formatTime } from '../../components/emergency';
import {
  CameraMap,
  CameraSearch,
  INCIDENT_COLORS,
  LEVEL_NUMERALS,
  mapMessages,
  useCameraMapData,
  useMapClient,
  useMapSettings,
} from '../../components/map';
import { cameraStates, retainWatch, useCameraStatus, useIncidents } from '../../lib/realtime';
import styles from './page.module.css';

/** Debounce of `camera:watch` after the map moved (each watch is audited). */
const WATCH_DEBOUNCE_MS = 800;

/**
 * The camera map page's client part (below the top bar): search, the map with open incidents and
 * the live state of the cameras in view. `mayReadReviews` (auditors and command users): the
 * incident list links each incident's after-action review.
 */
export function MapView({ mayReadReviews }: { mayReadReviews: boolean }) {
  const settings = useMapSettings();
  const client = useMapClient();
  const t = mapMessages(settings.lang);
  const te = emergencyStrings(settings.lang);
  const q = settings.lang === 'en' ? '?lang=en' : '';
  const { data, error, reload } = useCameraMapData();
  const loadIncidents = useCallback(() => client.openIncidents(), [client]);
  const incidents = useIncidents(loadIncidents);
  const [watched, setWatched] = useState<string[]>([]);
  const perProfile = useCameraStatus(watched);
  const statuses = useMemo(() => cameraStates(perProfile), [perProfile]);
  const [selected, setSelected] = useState<string | null>(null);
  const watchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => () => clearTimeout(watchTimer.current), []);

  const onVisible = useCallback((ids: string[]) => {
    clearTimeout(watchTimer.current);
    if (ids.length === 0) return;
    watchTimer.current = setTimeout(() => setWatched((prev) => retainWatch(prev, ids)), WATCH_DEBOUNCE_MS);
  }, []);

  return (
    <main className={styles.main}>
      <header className={styles.header}>
        <h1>{t.mapTitle}</h1>
        <div className={styles.searchBox}>
          <CameraSearch data={data} onSelect={setSelected} />
        </div>
      </header>
      <div className={styles.body}>
        <div className={styles.mapBox}>
          <CameraMap
            data={data}
            incidents={incidents}
            statuses={statuses}
            selectedCameraId={selected}
            onSelectCamera={setSelected}
            onVisibleCamerasChange={onVisible}
          />
        </div>
        <aside className={styles.incidents} data-testid="incident-list">
          <h2>{t.incidents}</h2>
          {incidents.length === 0 && <p className={styles.muted}>{t.noIncidents}</p>}
          <ul>
            {incidents.map((i) => (
              <li key={i.id} data-incident-id={i.id}>
                <span className={styles.level} style={{ background: INCIDENT_COLORS[i.level] }}>
                  {LEVEL_NUMERALS[i.level]}
                </span>
                <span>{i.title}</span>
                <span className={styles.muted}>
                  {t.radius} {i.radiusM >= 1000 ? `${(i.radiusM / 1000).toFixed(1)} km` : `${i.radiusM} m`}
                </span>
                {i.grantEndsAt && (
                  <span className={styles.muted} data-testid="incident-grant" data-ends-at={i.grantEndsAt}>
                    {t.grantUntil} {formatTime(i.grantEndsAt, settings.lang)}
                  </span>
                )}
                {mayReadReviews && (
                  <Link
                    href={`/incidents/${i.id}/review${q}`}
                    className={styles.reviewLink}
                    data-testid="incident-review"
                  >
                    {te.review}
                  </Link>
                )}
              </li>
            ))}
          </ul>
        </aside>
        {error && (
          <div className={styles.loadError} role="alert" data-testid="map-error">
            {t.loadFailed} ({error}){' '}
            <button type="button" onClick={reload}>
              {t.retry}
            </button>
          </div>
        )}
      </div>
    </main>
  );
}
