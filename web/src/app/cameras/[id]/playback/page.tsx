import type { Metadata } from 'next';
import { PlaybackView } from '../../../../components/playback';
import { TopBar } from '../../../../components/shell';
import { SessionProvider } from '../../../../lib/gateway';
import { langOf } from '../../../../lib/i18n';
import { requireSession } from '../../../../lib/page-session';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: '录像回放 · Recording playback',
  robots: { index: false, follow: false },
};

/**
 * `/cameras/:id/playback[?profile=main|sub][&lang=en]`: a camera's recordings (timeline and player).
 * The camera's name comes from its file when the user may read it; whether the recordings may be
 * viewed is the gateway's answer to the timeline request (shown as a refusal).
 */
export default async function PlaybackPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const query = await searchParams;
  const lang = langOf(query.lang);
  const profile = query.profile === 'main' || query.profile === 'sub' ? query.profile : null;
  const { session, gateway, publicGatewayUrl } = await requireSession(lang);
  const name = await gateway.camera(id).then(
    (c) => c.name,
    () => null,
  );
  const path = `/cameras/${encodeURIComponent(id)}/playback${profile ? `?profile=${profile}` : ''}`;
  return (
    <div>
      <TopBar user={session.user} lang={lang} path={path} gatewayUrl={publicGatewayUrl} />
      <SessionProvider gatewayUrl={publicGatewayUrl} session={session}>
        <PlaybackView lang={lang} cameraId={id} cameraName={name} profile={profile} />
      </SessionProvider>
    </div>
  );
}
