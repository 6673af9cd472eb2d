'use client';

import { type EmergencyUse, type EmergencyUseNotice, emergencyUseNoticeSchema } from '@wall/protocol';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorBodyOfUnknown, GatewayClient, isGatewayError } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import { acquireRealtime } from '../../lib/realtime';
import styles from './emergency.module.css';
import { formatTime } from './format';
import { announceUse, onSeen, readSeen } from './notice-events';
import { type EmergencyStrings, emergencyStrings, reasonWords } from './strings';

/** Uses the badge reads to count the unseen ones; beyond it the count shows as `n+`. */
const BADGE_PAGE = 100;
/** Toasts on screen at once (the newest); older ones stay counted in the badge. */
const MAX_TOASTS = 3;
const TOAST_MS = 30_000;
/** Several uses in a burst (a wall filled at once) are read back with one request. */
const RELOAD_DEBOUNCE_MS = 400;

type Failure = { code: string; message: string; signedOut: boolean };

export interface NoticesControlProps {
  /** The signed-in user (the "seen" marker is per user). */
  userId: string;
  lang: Lang;
  /** The gateway as the browser reaches it. */
  gatewayUrl: string;
  /** The notices page is the open one. */
  current?: boolean;
}

/**
 * The top bar's notices control (R-ACC-4, for every signed-in user): a link to /notices with the
 * number of emergency uses of the organisation's cameras not seen there yet, and a toast for each
 * use announced over the realtime socket (`access:emergency`). Users whose organisation owns no
 * camera simply never get one. Uses the page's realtime socket (shared with the page's provider
 * through acquireRealtime) and reads `GET /api/emergency-uses` at start, after a notice and after a reconnect.
 */
export function NoticesControl({ userId, lang, gatewayUrl, current = false }: NoticesControlProps) {
  const t = emergencyStrings(lang);
  const client = useMemo(() => new GatewayClient(gatewayUrl), [gatewayUrl]);
  /** null until read from localStorage (not on the server). */
  const [seen, setSeen] = useState<number | null>(null);
  const [page, setPage] = useState<{ uses: EmergencyUse[]; more: boolean } | null>(null);
  const [pushed, setPushed] = useState<readonly number[]>([]);
  const [toasts, setToasts] = useState<readonly EmergencyUseNotice[]>([]);
  /** Why the list could not be read; why the socket was refused (no live notices then). */
  const [loadFailure, setLoadFailure] = useState<Failure | null>(null);
  const [socketRefusal, setSocketRefusal] = useState<Failure | null>(null);
  const loadSeq = useRef(0);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(async () => {
    const mine = ++loadSeq.current;
    try {
      const p = await client.emergencyUses({ limit: BADGE_PAGE });
      if (mine !== loadSeq.current) return;
      setPage({ uses: p.uses, more: p.nextBefore !== null });
      setLoadFailure(null);
    } catch (err) {
      if (mine !== loadSeq.current) return;
      const body = errorBodyOfUnknown(err);
      const signedOut = isGatewayError(err) && (err.status === 401 || err.code === 'unauthenticated');
      setLoadFailure({ ...body, signedOut });
    }
  }, [client]);

  const reloadSoon = useCallback(() => {
    clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => void load(), RELOAD_DEBOUNCE_MS);
  }, [load]);

  useEffect(() => {
    setSeen(readSeen(userId));
    return onSeen(userId, setSeen);
  }, [userId]);

  useEffect(() => {
    void load();
    return () => clearTimeout(reloadTimer.current);
  }, [load]);

  useEffect(() => {
    const { client: rt, release } = acquireRealtime(gatewayUrl);
    let connectedBefore = false;
    const offUse = rt.on('access:emergency', (raw) => {
      const notice = emergencyUseNoticeSchema.safeParse(raw);
      if (!notice.success) return;
      const n = notice.data;
      setPushed((xs) => (xs.includes(n.seq) ? xs : [...xs, n.seq]));
      setToasts((xs) => [n, ...xs.filter((x) => x.seq !== n.seq)].slice(0, MAX_TOASTS));
      announceUse(n);
      // The notice names the incident by id: the list gives its title (and catches any missed use).
      reloadSoon();
    });
    const offConn = rt.onConnection((c) => {
      if (c.state === 'refused') {
        setSocketRefusal({ code: c.code, message: c.message, signedOut: c.code === 'auth:required' });
      }
      if (c.state !== 'connected') return;
      setSocketRefusal(null);
      // Uses announced while the socket was away were missed: read the list again.
      if (connectedBefore) reloadSoon();
      connectedBefore = true;
    });
    return () => {
      offUse();
      offConn();
      release();
    };
  }, [gatewayUrl, reloadSoon]);

  const known = new Map<number, EmergencyUse>();
  for (const u of page?.uses ?? []) known.set(u.seq, u);
  const marker = seen ?? Number.POSITIVE_INFINITY;
  const unseen = new Set<number>();
  for (const seq of known.keys()) if (seq > marker) unseen.add(seq);
  for (const seq of pushed) if (seq > marker) unseen.add(seq);
  const oldest = page?.uses[page.uses.length - 1];
  const more = page?.more === true && oldest !== undefined && oldest.seq > marker;
  const count = unseen.size;

  const failure = loadFailure ?? socketRefusal;
  const q = lang === 'en' ? '?lang=en' : '';
  const state = failure
    ? failure.signedOut
      ? 'signed-out'
      : 'error'
    : page && seen !== null
      ? 'ok'
      : 'loading';
  const title = failure
    ? failure.signedOut
      ? t.badgeSignedOut
      : `${t.badgeFailed}: ${reasonWords(lang, failure.code)}`
    : t.unseenTitle(count);

  return (
    <>
      <Link
        href={failure?.signedOut ? `/login${q}` : `/notices${q}`}
        className={styles.badge}
        aria-current={current ? 'page' : undefined}
        data-testid="notices-badge"
        data-state={state}
        data-count={count}
        title={title}
        aria-label={`${t.notices}: ${title}`}
      >
        {t.notices}
        {count > 0 && (
          <span className={styles.count} data-testid="notices-count">
            {count}
            {more ? '+' : ''}
          </span>
        )}
        {failure && <span className={styles.countBad}>!</span>}
      </Link>
      {toasts.length > 0 && (
        <div className={styles.toasts} role="status" aria-live="polite">
          {toasts.map((n) => (
            <NoticeToast
              key={n.seq}
              notice={n}
              use={known.get(n.seq) ?? incidentOf(known, n.incidentId)}
              lang={lang}
              t={t}
              onDismiss={() => setToasts((xs) => xs.filter((x) => x.seq !== n.seq))}
            />
          ))}
        </div>
      )}
    </>
  );
}

/** Another use of the same incident, for its title when the notice's own use is not listed yet. */
function incidentOf(known: ReadonlyMap<number, EmergencyUse>, incidentId: string): EmergencyUse | undefined {
  for (const u of known.values()) if (u.incidentId === incidentId) return u;
  return undefined;
}

function NoticeToast({
  notice,
  use,
  lang,
  t,
  onDismiss,
}: {
  notice: EmergencyUseNotice;
  /** The listed use (or one of its incident): the incident's title and level. */
  use: EmergencyUse | undefined;
  lang: Lang;
  t: EmergencyStrings;
  onDismiss: () => void;
}) {
  const dismiss = useRef(onDismiss);
  dismiss.current = onDismiss;
  useEffect(() => {
    const timer = setTimeout(() => dismiss.current(), TOAST_MS);
    return () => clearTimeout(timer);
  }, []);
  const q = lang === 'en' ? '?lang=en' : '';
  return (
    <div
      className={styles.toast}
      data-testid="notice-toast"
      data-seq={notice.seq}
      data-camera-id={notice.cameraId}
      data-incident-id={notice.incidentId}
    >
      <div className={styles.toastHead}>
        <strong>{t.toastTitle}</strong>
        <button type="button" onClick={onDismiss} aria-label={t.dismiss} title={t.dismiss}>
          ×
        </button>
      </div>
      <dl className={styles.toastBody}>
        <dt>{t.camera}</dt>
        <dd data-testid="toast-camera">
          {notice.cameraName} · {t.profiles[notice.profile]}
        </dd>
        <dt>{t.incident}</dt>
        <dd data-testid="toast-incident">
          {use ? t.incidentLabel(use.incidentTitle, use.incidentLevel) : t.incidentOf(notice.incidentId)}
        </dd>
        <dt>{t.actorOrg}</dt>
        <dd data-testid="toast-org">
          {t.orgLabel(notice.actorOrgName, t.departments[notice.actorDepartment])}
        </dd>
        <dt>{t.time}</dt>
        <dd>
          <time dateTime={notice.at}>{formatTime(notice.at, lang)}</time>
        </dd>
      </dl>
      <Link href={`/notices${q}`}>{t.viewAll}</Link>
    </div>
  );
}
