import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { z } from 'zod';
import { WallDisplay, WallPageProviders } from '../../../../components/wall';
import { langOf } from '../../../../lib/i18n';
import { requireSession } from '../../../../lib/page-session';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: '视频墙显示端 · Wall display' };

const wallIdSchema = z.guid();

/** The kiosk page of a physical wall: the wall's tiles only, kept in sync with its consoles. */
export default async function WallDisplayPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const lang = langOf((await searchParams).lang);
  const id = wallIdSchema.safeParse((await params).id);
  if (!id.success) notFound();
  const { session, publicGatewayUrl } = await requireSession(lang);
  return (
    <WallPageProviders gatewayUrl={publicGatewayUrl} session={session}>
      <WallDisplay wallId={id.data.toLowerCase()} lang={lang} />
    </WallPageProviders>
  );
}
