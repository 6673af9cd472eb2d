'use client';

import type { EmergencyUse } from '@wall/protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorBodyOfUnknown, GatewayClient, isGatewayError } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import styles from './emergency.module.css';
import { formatTime } from './format';
import { markSeen, onUse } from './notice-events';
import { emergencyStrings, reasonWords } from './strings';

export interface NoticesListProps {
  userId: string;
  lang: Lang;
  gatewayUrl: string;
  /** Uses per page (`GET /api/emergency-uses?limit=`). */
  pageSize: number;
}

type Phase = 'loading' | 'ready' | 'older';

/** Newest first, each use once (a reload of the first page meets uses already listed). */
function merge(a: readonly EmergencyUse[], b: readonly EmergencyUse[]): EmergencyUse[] {
  const bySeq = new Map<number, EmergencyUse>();
  for (const u of [...a, ...b]) bySeq.set(u.seq, u);
  return [...bySeq.values()].sort((x, y) => y.seq - x.seq);
}

/**
 * The notices page's list: every emergency use of the organisation's cameras, newest first, older
 * pages on demand. Seeing the list moves the user's "seen" marker (the top bar's badge goes to 0);
 * a use announced while the page is open is read in and marked seen too. Without a session the
 * browser goes to the login page; any other failure is shown with its code and a retry.
 */
export function NoticesList({ userId, lang, gatewayUrl, pageSize }: NoticesListProps) {
  const t = emergencyStrings(lang);
  const client = useMemo(() => new GatewayClient(gatewayUrl), [gatewayUrl]);
  const [uses, setUses] = useState<EmergencyUse[]>([]);
  /** Where the next older page starts; null when the oldest use is listed. */
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [olderLoaded, setOlderLoaded] = useState(false);
  const [phase, setPhase] = useState<Phase>('loading');
  const [failure, setFailure] = useState<{ code: string; message: string } | null>(null);
  const olderLoadedRef = useRef(false);
  olderLoadedRef.current = olderLoaded;

  const fail = useCallback(
    (err: unknown) => {
      if (isGatewayError(err) && (err.status === 401 || err.code === 'unauthenticated')) {
        window.location.assign(lang === 'en' ? '/login?lang=en' : '/login');
        return;
      }
      setFailure(errorBodyOfUnknown(err));
    },
    [lang],
  );

  const loadFirst = useCallback(async () => {
    try {
      const page = await client.emergencyUses({ limit: pageSize });
      setUses((prev) => merge(page.uses, prev));
      // Once older pages are listed, the first page's continuation is already further down.
      if (!olderLoadedRef.current) setNextBefore(page.nextBefore);
      setFailure(null);
      const newest = page.uses[0];
      if (newest) markSeen(userId, newest.seq);
    } catch (err) {
      fail(err);
    } finally {
      // A reload after a notice may run while an older page is on its way: that one ends 'older'.
      setPhase((p) => (p === 'loading' ? 'ready' : p));
    }
  }, [client, pageSize, userId, fail]);

  const loadOlder = useCallback(async () => {
    if (nextBefore === null) return;
    setPhase('older');
    try {
      const page = await client.emergencyUses({ before: nextBefore, limit: pageSize });
      setUses((prev) => merge(prev, page.uses));
      setNextBefore(page.nextBefore);
      setOlderLoaded(true);
      setFailure(null);
    } catch (err) {
      fail(err);
    } finally {
      setPhase('ready');
    }
  }, [client, nextBefore, pageSize, fail]);

  useEffect(() => {
    void loadFirst();
    return onUse(() => void loadFirst());
  }, [loadFirst]);

  return (
    <section className={styles.section} data-testid="notices" data-phase={phase}>
      {failure && (
        <p className={styles.bad} role="alert" data-testid="notices-error" data-code={failure.code}>
          {t.loadFailed}: {reasonWords(lang, failure.code)}{' '}
          <button type="button" className={styles.inlineButton} onClick={() => void loadFirst()}>
            {t.retry}
          </button>
        </p>
      )}
      {phase === 'loading' && <p className={styles.muted}>{t.loading}</p>}
      {phase !== 'loading' && !failure && uses.length === 0 && (
        <p className={styles.muted} data-testid="notices-empty">
          {t.empty}
        </p>
      )}
      {uses.length > 0 && (
        <table className={styles.table}>
          <thead>
            <tr>
              <th>{t.time}</th>
              <th>{t.camera}</th>
              <th>{t.incident}</th>
              <th>{t.actorOrg}</th>
              <th>{t.profile}</th>
            </tr>
          </thead>
          <tbody>
            {uses.map((u) => (
              <tr key={u.seq} data-testid="notice-row" data-seq={u.seq} data-camera-id={u.cameraId}>
                <td>
                  <time dateTime={u.at}>{formatTime(u.at, lang)}</time>
                </td>
                <td data-col="camera">{u.cameraName}</td>
                <td data-col="incident" data-incident-id={u.incidentId}>
                  {t.incidentLabel(u.incidentTitle, u.incidentLevel)}
                </td>
                <td data-col="org">{t.orgLabel(u.actorOrgName, t.departments[u.actorDepartment])}</td>
                <td data-col="profile">{t.profiles[u.profile]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nextBefore !== null && (
        <button
          type="button"
          className={styles.moreButton}
          data-testid="notices-older"
          disabled={phase !== 'ready'}
          onClick={() => void loadOlder()}
        >
          {phase === 'older' ? t.loadingOlder : t.older}
        </button>
      )}
      {phase === 'ready' && !failure && nextBefore === null && uses.length > 0 && (
        <p className={styles.muted} data-testid="notices-end">
          {t.end}
        </p>
      )}
    </section>
  );
}
