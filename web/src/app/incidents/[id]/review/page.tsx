import type { IncidentReview } from '@wall/protocol';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { z } from 'zod';
import {
  emergencyStrings,
  GatewayUnavailablePage,
  ReviewView,
  reasonWords,
} from '../../../../components/emergency';
import styles from '../../../../components/emergency/emergency.module.css';
import { TopBar } from '../../../../components/shell';
import { isGatewayError } from '../../../../lib/gateway';
import { langOf } from '../../../../lib/i18n';
import { sessionOrUnavailable } from '../../../../lib/page-session';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: '事后复盘 · After-action review' };

const incidentIdSchema = z.guid();

/**
 * The after-action review of one incident (R-ACC-4: every emergency use is listed). The gateway
 * decides who reads it (auditors; police and emergency users the incident concerns) and audits
 * each read; a refusal is shown in words with its code.
 */
export default async function IncidentReviewPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const lang = langOf((await searchParams).lang);
  const t = emergencyStrings(lang);
  const id = incidentIdSchema.safeParse((await params).id);
  if (!id.success) notFound();
  const incidentId = id.data.toLowerCase();
  const page = await sessionOrUnavailable(lang);
  if ('unavailable' in page) {
    return (
      <GatewayUnavailablePage
        title={t.reviewTitle}
        code={page.unavailable.code}
        lang={lang}
        testId="review-refused"
      />
    );
  }
  const { session, gateway, publicGatewayUrl } = page;
  const q = lang === 'en' ? '?lang=en' : '';
  const bar = (
    <TopBar
      user={session.user}
      lang={lang}
      path={`/incidents/${incidentId}/review`}
      gatewayUrl={publicGatewayUrl}
    />
  );
  let review: IncidentReview;
  try {
    review = await gateway.incidentReview(incidentId);
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    if (err.code === 'not_found:incident') notFound();
    // The session ended between the two calls.
    if (err.status === 401 || err.code === 'unauthenticated')
      redirect(lang === 'en' ? '/login?lang=en' : '/login');
    if (!err.code.startsWith('forbidden:') && !err.code.startsWith('client:')) throw err;
    return (
      <>
        {bar}
        <main className={styles.page}>
          <h1>{t.reviewTitle}</h1>
          <p className={styles.bad} role="alert" data-testid="review-refused" data-code={err.code}>
            {t.refused}: {reasonWords(lang, err.code)}
          </p>
          <Link href={`/map${q}`}>{t.backToMap}</Link>
        </main>
      </>
    );
  }
  return (
    <>
      {bar}
      <main className={styles.page}>
        <h1 data-testid="review-title">{t.reviewOf(review.title)}</h1>
        <ReviewView review={review} lang={lang} />
      </main>
    </>
  );
}
