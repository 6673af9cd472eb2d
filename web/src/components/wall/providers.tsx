'use client';

import type { SessionInfo } from '@wall/protocol';
import type { ReactNode } from 'react';
import { SessionProvider, useSession } from '../../lib/gateway';
import { RealtimeProvider } from '../../lib/realtime';
import { CameraInfoProvider } from './camera-info';
import { LiveProvider } from './live-context';

function CameraInfoFromSession({ children }: { children: ReactNode }) {
  const { client } = useSession();
  return <CameraInfoProvider gateway={client}>{children}</CameraInfoProvider>;
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
        <LiveProvider>
          <CameraInfoFromSession>{children}</CameraInfoFromSession>
        </LiveProvider>
      </RealtimeProvider>
    </SessionProvider>
  );
}
