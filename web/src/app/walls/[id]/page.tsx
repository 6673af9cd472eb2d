import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { z } from 'zod';
import { mapSettings } from '../../../components/map/server';
import { TopBar } from '../../../components/shell';
import { reasonText, WallConsoleRoot, wallStrings } from '../../../components/wall';
import styles from '../../../components/wall/wall.module.css';
import { isGatewayError } from '../../../lib/gateway';
import { langOf } from '../../../lib/i18n';
import { requireSession } from '../../../lib/page-session';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: '视频墙控制台 · Wall console' };

const wallIdSchema = z.guid();

export default async function WallConsolePage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const lang = langOf((await searchParams).lang);
  const id = wallIdSchema.safeParse((await params).id);
  if (!id.success) notFound();
  const wallId = id.data.toLowerCase();
  const { session, gateway, publicGatewayUrl } = await requireSession(lang);
  const bar = (
    <TopBar
      user={session.user}
      lang={lang}
      path={`/walls/${wallId}`}
      active="walls"
      gatewayUrl={publicGatewayUrl}
    />
  );
  try {
    await gateway.wall(wallId);
  } catch (err) {
    if (isGatewayError(err) && err.code === 'not_found:wall') notFound();
    if (!isGatewayError(err) || err.code !== 'forbidden:wall') throw err;
    return (
      <>
        {bar}
        <main className={styles.wallsPage}>
          <p className={styles.bad} role="alert" data-testid="wall-refused">
            {wallStrings(lang).joinFailed}: {reasonText(lang, err.code)} ({err.code})
          </p>
        </main>
      </>
    );
  }
  return (
    <div className={styles.consolePage}>
      {bar}
      <WallConsoleRoot
        wallId={wallId}
        lang={lang}
        gatewayUrl={publicGatewayUrl}
        session={session}
        mapSettings={mapSettings(lang)}
      />
    </div>
  );
}
