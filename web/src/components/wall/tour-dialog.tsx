'use client';

import type { CameraItem, WallTile } from '@wall/protocol';
import { useEffect, useState } from 'react';
import { useSession } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import { wallStrings } from './strings';
import styles from './wall.module.css';

const MIN_INTERVAL_S = 5;
const MAX_INTERVAL_S = 3600;

/**
 * A tour for one tile: pick cameras (search by name) and the seconds each is shown. The wall state
 * carries the tour with its start time; every console and display cycles it alike.
 */
export function TourDialog({
  lang,
  index,
  current,
  onStart,
  onEnd,
  onClose,
}: {
  lang: Lang;
  index: number;
  current: WallTile['tour'] | undefined;
  onStart: (cameraIds: string[], intervalS: number) => void;
  onEnd: () => void;
  onClose: () => void;
}) {
  const t = wallStrings(lang);
  const { client } = useSession();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<CameraItem[]>([]);
  const [picked, setPicked] = useState<{ id: string; name: string }[]>(
    () => current?.cameraIds.map((id) => ({ id, name: id.slice(0, 8) })) ?? [],
  );
  const [intervalS, setIntervalS] = useState(current?.intervalS ?? 10);

  useEffect(() => {
    const query = q.trim();
    const timer = setTimeout(() => {
      client
        .searchCameras({ q: query || undefined, state: ['in_service', 'accepted'], limit: 30 })
        .then((page) => setFound(page.items))
        .catch(() => setFound([]));
    }, 200);
    return () => clearTimeout(timer);
  }, [client, q]);

  const toggle = (c: { id: string; name: string }) =>
    setPicked((p) => (p.some((x) => x.id === c.id) ? p.filter((x) => x.id !== c.id) : [...p, c]));
  const valid =
    picked.length >= 2 &&
    picked.length <= 64 &&
    Number.isInteger(intervalS) &&
    intervalS >= MIN_INTERVAL_S &&
    intervalS <= MAX_INTERVAL_S;

  return (
    <div className={styles.backdrop}>
      <div
        className={styles.dialog}
        role="dialog"
        aria-modal="true"
        aria-label={t.tourTitle(index)}
        data-testid="tour-dialog"
        onKeyDown={(e) => e.stopPropagation()}
      >
        <h2>{t.tourTitle(index)}</h2>
        <label htmlFor="tour-q">{t.tourSearch}</label>
        <input
          id="tour-q"
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          data-testid="tour-search"
        />
        <ul className={styles.pickList}>
          {found.map((c) => (
            <li key={c.id}>
              <input
                type="checkbox"
                id={`tour-${c.id}`}
                checked={picked.some((x) => x.id === c.id)}
                onChange={() => toggle({ id: c.id, name: c.name })}
                data-testid="tour-camera"
                data-camera-id={c.id}
              />
              <label htmlFor={`tour-${c.id}`} style={{ margin: 0 }}>
                {c.name}
              </label>
            </li>
          ))}
        </ul>
        <div>{picked.length > 0 ? picked.map((p, i) => `${i + 1}. ${p.name}`).join('  ') : t.tourPick}</div>
        <label htmlFor="tour-interval">{t.tourInterval}</label>
        <input
          id="tour-interval"
          type="number"
          min={MIN_INTERVAL_S}
          max={MAX_INTERVAL_S}
          value={intervalS}
          onChange={(e) => setIntervalS(Number(e.target.value))}
          data-testid="tour-interval"
        />
        <div className={styles.dialogActions}>
          {current ? (
            <button type="button" onClick={onEnd} data-testid="tour-end">
              {t.endTour}
            </button>
          ) : null}
          <button type="button" onClick={onClose}>
            {t.cancel}
          </button>
          <button
            type="button"
            className={styles.primary}
            disabled={!valid}
            onClick={() =>
              onStart(
                picked.map((p) => p.id),
                intervalS,
              )
            }
            data-testid="tour-start"
          >
            {t.tourStart}
          </button>
        </div>
      </div>
    </div>
  );
}
