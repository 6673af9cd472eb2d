'use client';

import type { CameraItem } from '@wall/protocol';
import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { GatewayError } from './api';
import { districtName, gradeLabel } from './camera';
import { useMapClient, useMapSettings } from './context';
import { startCameraDrag } from './drag';
import styles from './map.module.css';
import { mapMessages } from './strings';
import type { CameraMapData } from './types';

export interface CameraSearchProps {
  /** The map's cameras: results the map does not hold (e.g. filtered out since) are still listed. */
  data: CameraMapData | undefined;
  onSelect(cameraId: string): void;
  /** Most results shown (default 20). */
  limit?: number;
  className?: string;
}

const DEBOUNCE_MS = 200;

/**
 * Search by camera name (or address) on the gateway. Each result can be clicked (→ `onSelect`) or
 * dragged onto a wall tile (HTML5 drag, type `CAMERA_DRAG_TYPE`).
 */
export function CameraSearch({ data, onSelect, limit = 20, className }: CameraSearchProps) {
  const client = useMapClient();
  const { lang } = useMapSettings();
  const t = mapMessages(lang);
  const listId = useId();
  const [q, setQ] = useState('');
  const [items, setItems] = useState<CameraItem[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [active, setActive] = useState(0);
  // The list shows while the user works with the search; a choice or a press elsewhere hides it.
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement | null>(null);

  useEffect(() => {
    const onDown = (e: PointerEvent) => {
      if (root.current && e.target instanceof Node && !root.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, []);

  function choose(id: string) {
    setOpen(false);
    onSelect(id);
  }

  useEffect(() => {
    const query = q.trim();
    if (query === '') {
      setItems([]);
      setError(undefined);
      setBusy(false);
      return;
    }
    const abort = new AbortController();
    setBusy(true);
    const timer = setTimeout(() => {
      client
        .search(query, limit, abort.signal)
        .then((found) => {
          setItems(found);
          setActive(0);
          setError(undefined);
        })
        .catch((err: unknown) => {
          if (abort.signal.aborted) return;
          setItems([]);
          setError(err instanceof GatewayError ? err.code : 'client:error');
        })
        .finally(() => {
          if (!abort.signal.aborted) setBusy(false);
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [client, q, limit]);

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, items.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      const item = items[active];
      if (item) choose(item.id);
    } else if (e.key === 'Escape') {
      setQ('');
    } else {
      setOpen(true);
    }
  }

  return (
    <div className={`${styles.search} ${className ?? ''}`} ref={root}>
      <input
        type="search"
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={onKeyDown}
        placeholder={t.search}
        aria-label={t.search}
        aria-controls={listId}
        autoComplete="off"
        data-testid="camera-search"
      />
      {open && q.trim() !== '' && (
        <ul id={listId} className={styles.results} aria-busy={busy}>
          {items.map((item, i) => (
            <li key={item.id}>
              <button
                type="button"
                className={`${styles.result} ${i === active ? styles.activeResult : ''}`}
                data-testid="camera-result"
                data-camera-id={item.id}
                data-on-map={data ? String(data.indexOf.has(item.id)) : undefined}
                draggable
                onDragStart={(e) => startCameraDrag(e, item.id)}
                onClick={() => choose(item.id)}
                title={item.address ?? item.name}
              >
                <span className={styles.resultName}>{item.name}</span>
                <span className={styles.resultMeta}>
                  {districtName(item.districtCode, lang)} · {gradeLabel(item.grade as 1 | 2 | 3 | 4, lang)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {open && q.trim() !== '' && items.length === 0 && (
        <div className={styles.searchNote} role="status">
          {error ? `${t.searchFailed} (${error})` : busy ? t.searching : t.noResults}
        </div>
      )}
    </div>
  );
}
