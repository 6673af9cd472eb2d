'use client';

import type { StreamProfile } from '@wall/protocol';
import { useCallback, useMemo } from 'react';
import type { Lang } from '../../lib/i18n';
import {
  statusKey,
  useCameraStatus,
  useRealtimeConnection,
  useServerClock,
  useWall,
} from '../../lib/realtime';
import { WallGrid } from './grid';
import { reasonText } from './strings';
import styles from './wall.module.css';

/**
 * The wall display (/walls/:id/display): a kiosk page for a physical wall — the wall's tiles over
 * the whole window, no chrome, no cursor — following the wall's room (`wall:updated`); while the
 * wall plays back its tiles play the wall's moment in step on the server's clock.
 */
export function WallDisplay({ wallId, lang }: { wallId: string; lang: Lang }) {
  const wall = useWall(wallId);
  const connection = useRealtimeConnection();
  const state = wall.state;
  const onWall = useMemo(() => {
    const ids = new Set<string>();
    for (const t of state?.tiles ?? []) {
      if (t.cameraId) ids.add(t.cameraId.toLowerCase());
      for (const c of t.tour?.cameraIds ?? []) ids.add(c.toLowerCase());
    }
    return [...ids];
  }, [state]);
  const statuses = useCameraStatus(onWall);
  const remoteState = useCallback(
    (cameraId: string, profile: StreamProfile) => statuses.get(statusKey(cameraId, profile))?.state,
    [statuses],
  );
  const clock = useServerClock();
  const refused = wall.error ?? (connection.state === 'refused' ? connection : null);

  return (
    <main
      className={styles.display}
      data-testid="wall-display"
      data-wall-id={wallId}
      data-version={state?.version}
      data-connection={connection.state}
    >
      {state ? (
        <WallGrid state={state} lang={lang} remoteState={remoteState} clock={clock} />
      ) : refused ? (
        <div className={styles.displayError} role="alert">
          {reasonText(lang, refused.code)} ({refused.code})
        </div>
      ) : null}
    </main>
  );
}
