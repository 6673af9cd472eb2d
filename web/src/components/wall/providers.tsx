'use client';

import type { SessionInfo } from '@wall/protocol';
import type { ReactNode } from 'react';
import { SessionProvider, useSession } from '../../lib/gateway';
import { LiveProvider } from '../../lib/live';
import { RealtimeProvider } from '../../lib/realtime';
import { CameraInfoProvider } from './camera-info';

function CameraInfoFromSession({ children }: { children: ReactNode }) {
  const { client } = useSession();
  return <CameraInfoProvider gateway={client}>{children}</CameraInfoProvider>;
}

/** The page's viewer pool, with prefetched grants from the session's gateway client. */
function LiveFromSession({ children }: { children: ReactNode }) {
  const { client } = useSession();
  return <LiveProvider grants={client}>{children}</LiveProvider>;
}

/**
 * What a wall page's client part needs: the session (gateway client), one realtime socket, one
 * live viewer pool (one receive transport per media node) and the camera files, for the page.
 */
export function WallPageProviders({
  gatewayUrl,
  session,
  children,
}: {
  gatewayUrl: string;
  session: SessionInfo;
  children: ReactNode;
}) {
  return (
    <SessionProvider gatewayUrl={gatewayUrl} session={session}>
      <RealtimeProvider gatewayUrl={gatewayUrl}>
        <LiveFromSession>
          <CameraInfoFromSession>{children}</CameraInfoFromSession>
        </LiveFromSession>
      </RealtimeProvider>
    </SessionProvider>
  );
}
