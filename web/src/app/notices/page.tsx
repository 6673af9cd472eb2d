import { MAX_EMERGENCY_USE_PAGE } from '@wall/protocol';
import type { Metadata } from 'next';
import { z } from 'zod';
import { emergencyStrings, GatewayUnavailablePage, NoticesList } from '../../components/emergency';
import styles from '../../components/emergency/emergency.module.css';
import { TopBar } from '../../components/shell';
import { langOf } from '../../lib/i18n';
import { sessionOrUnavailable } from '../../lib/page-session';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: '应急调阅通知 · Emergency access notices' };

const DEFAULT_PAGE = 50;
const pageSizeSchema = z.coerce.number().int().min(1).max(MAX_EMERGENCY_USE_PAGE).catch(DEFAULT_PAGE);

/** The emergency uses of the cameras the user's organisation owns (R-ACC-4: owners are notified). */
export default async function NoticesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const lang = langOf(query.lang);
  const t = emergencyStrings(lang);
  const pageSize = query.limit === undefined ? DEFAULT_PAGE : pageSizeSchema.parse(query.limit);
  const page = await sessionOrUnavailable(lang);
  if ('unavailable' in page) {
    return (
      <GatewayUnavailablePage
        title={t.noticesTitle}
        code={page.unavailable.code}
        lang={lang}
        testId="notices-error"
      />
    );
  }
  const { session, publicGatewayUrl } = page;
  return (
    <>
      <TopBar
        user={session.user}
        lang={lang}
        path="/notices"
        active="notices"
        gatewayUrl={publicGatewayUrl}
      />
      <main className={styles.page}>
        <h1>{t.noticesTitle}</h1>
        <p className={styles.intro}>{t.noticesIntro}</p>
        <NoticesList userId={session.user.id} lang={lang} gatewayUrl={publicGatewayUrl} pageSize={pageSize} />
      </main>
    </>
  );
}
