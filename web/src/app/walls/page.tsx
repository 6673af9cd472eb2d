import type { Metadata } from 'next';
import Link from 'next/link';
import { TopBar } from '../../components/shell';
import { wallStrings } from '../../components/wall';
import styles from '../../components/wall/wall.module.css';
import { langOf } from '../../lib/i18n';
import { requireSession } from '../../lib/page-session';
import { CreateWallForm } from './create-wall-form';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: '视频墙 · Walls' };

export default async function WallsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const lang = langOf((await searchParams).lang);
  const t = wallStrings(lang);
  const { session, gateway, publicGatewayUrl } = await requireSession(lang);
  const walls = await gateway.walls();
  const q = lang === 'en' ? '?lang=en' : '';
  return (
    <>
      <TopBar user={session.user} lang={lang} path="/walls" active="walls" gatewayUrl={publicGatewayUrl} />
      <main className={styles.wallsPage}>
        <h1>{t.walls}</h1>
        {walls.length === 0 ? <p className={styles.muted}>{t.noWalls}</p> : null}
        <ul className={styles.wallList} data-testid="wall-list">
          {walls.map((w) => (
            <li key={w.id} className={styles.wallCard} data-testid="wall-card" data-wall-id={w.id}>
              <h2>{w.name}</h2>
              <div className={styles.wallMeta}>
                {t.layout} {w.layout} · {t.tilesOf(w.tiles.length)} ·{' '}
                {w.tiles.filter((x) => x.cameraId || x.tour).length} ● · {t.version} {w.version}
              </div>
              <div className={styles.wallLinks}>
                <Link href={`/walls/${w.id}${q}`} data-testid="wall-open">
                  {t.open}
                </Link>
                <Link href={`/walls/${w.id}/display${q}`} target="_blank">
                  {t.display}
                </Link>
              </div>
            </li>
          ))}
        </ul>
        <h1>{t.newWall}</h1>
        <CreateWallForm gatewayUrl={publicGatewayUrl} csrfToken={session.csrfToken} lang={lang} />
      </main>
    </>
  );
}
