import { DISTRICTS, type Incident } from '@wall/protocol';
import type { Metadata } from 'next';
import Link from 'next/link';
import {
  ConfirmationStatus,
  ConfirmIncidentButton,
  confirmationState,
  emergencyStrings,
  formatTime,
  GatewayUnavailablePage,
  mayReadReviews,
} from '../../components/emergency';
import styles from '../../components/emergency/emergency.module.css';
import { TopBar } from '../../components/shell';
import { langOf } from '../../lib/i18n';
import { sessionOrUnavailable } from '../../lib/page-session';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: '突发事件 · Incidents' };

/** What the gateway answers at most (`GET /api/incidents`). */
const LIST_LIMIT = 200;

const FILTERS = ['all', 'open', 'closed'] as const;
type Filter = (typeof FILTERS)[number];

/**
 * The incidents, newest first: open and closed, with when each one's emergency grant ends
 * (R-ACC-4) and, for the users who may read it, the link to its after-action review — a closed
 * incident's review is found here.
 */
export default async function IncidentsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const lang = langOf(query.lang);
  const t = emergencyStrings(lang);
  const filter: Filter = FILTERS.find((f) => f === query.show) ?? 'all';
  const page = await sessionOrUnavailable(lang);
  if ('unavailable' in page) {
    return (
      <GatewayUnavailablePage
        title={t.incidentsTitle}
        code={page.unavailable.code}
        lang={lang}
        testId="incidents-error"
      />
    );
  }
  const { session, gateway, publicGatewayUrl } = page;
  const incidents = await gateway.incidents(filter === 'all' ? undefined : filter === 'open');
  const reviews = mayReadReviews(session.user);
  // Command users may confirm a major incident (the gateway decides who exactly, and says why not).
  const commands =
    (session.user.departmentKind === 'police' || session.user.departmentKind === 'emergency') &&
    session.user.roles.includes('operator');
  const nowMs = Date.now();
  const href = (f: Filter) => {
    const p = new URLSearchParams();
    if (f !== 'all') p.set('show', f);
    if (lang === 'en') p.set('lang', 'en');
    return p.size > 0 ? `/incidents?${p.toString()}` : '/incidents';
  };
  const q = lang === 'en' ? '?lang=en' : '';
  const district = (code: string | null) => {
    const d = code ? DISTRICTS.find((x) => x.code === code) : undefined;
    return d ? (lang === 'en' ? d.nameEn : d.name) : '—';
  };
  const grant = (i: Incident) => {
    if (i.level > 2) return <span className={styles.muted}>{t.noGrant}</span>;
    if (!i.grantEndsAt) return t.untilClosed;
    return (
      <time dateTime={i.grantEndsAt} data-testid="incident-grant-ends">
        {formatTime(i.grantEndsAt, lang)}
      </time>
    );
  };
  return (
    <>
      <TopBar
        user={session.user}
        lang={lang}
        path={href(filter)}
        active="incidents"
        gatewayUrl={publicGatewayUrl}
      />
      <main className={styles.page}>
        <h1>{t.incidentsTitle}</h1>
        <p className={styles.intro}>{t.incidentsIntro}</p>
        <nav className={styles.filters} data-testid="incident-filters">
          {FILTERS.map((f) => (
            <Link key={f} href={href(f)} aria-current={f === filter ? 'page' : undefined}>
              {f === 'all' ? t.filterAll : f === 'open' ? t.filterOpen : t.filterClosed}
            </Link>
          ))}
        </nav>
        {incidents.length === 0 ? (
          <p className={styles.muted} data-testid="incidents-empty">
            {t.noIncidents}
          </p>
        ) : (
          <table className={styles.table} data-testid="incidents">
            <thead>
              <tr>
                <th>{t.title}</th>
                <th>{t.districtCol}</th>
                <th>{t.openedAt}</th>
                <th>{t.closedAt}</th>
                <th>{t.grantEnds}</th>
                <th>{t.confirmation}</th>
                {reviews && <th>{t.review}</th>}
              </tr>
            </thead>
            <tbody>
              {incidents.map((i) => (
                <tr key={i.id} data-testid="incident-row" data-incident-id={i.id}>
                  <td>
                    <span className={styles.tag}>{t.level(i.level)}</span> {i.title}
                  </td>
                  <td>{district(i.districtCode)}</td>
                  <td>
                    <time dateTime={i.openedAt}>{formatTime(i.openedAt, lang)}</time>
                  </td>
                  <td data-testid="incident-closed-at">
                    {i.closedAt ? (
                      <time dateTime={i.closedAt}>{formatTime(i.closedAt, lang)}</time>
                    ) : (
                      t.stillOpen
                    )}
                  </td>
                  <td>{grant(i)}</td>
                  <td>
                    <ConfirmationStatus c={i} lang={lang} nowMs={nowMs} />
                    {commands && !i.closedAt && confirmationState(i, nowMs) === 'pending' && (
                      <>
                        {' '}
                        <ConfirmIncidentButton gatewayUrl={publicGatewayUrl} incidentId={i.id} lang={lang} />
                      </>
                    )}
                  </td>
                  {reviews && (
                    <td>
                      <Link href={`/incidents/${i.id}/review${q}`} data-testid="incident-review-link">
                        {t.review}
                      </Link>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {incidents.length >= LIST_LIMIT && <p className={styles.notice}>{t.incidentsLimit(LIST_LIMIT)}</p>}
      </main>
    </>
  );
}
