'use client';

import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import type { RealtimeClient, RealtimeConnection } from './client';
import { acquireRealtime } from './shared';

const RealtimeContext = createContext<RealtimeClient | null>(null);

/** The page's realtime socket to the gateway for what is below it (opened in the browser only; shared, see acquireRealtime). */
export function RealtimeProvider({ gatewayUrl, children }: { gatewayUrl: string; children: ReactNode }) {
  const [client, setClient] = useState<RealtimeClient | null>(null);
  useEffect(() => {
    const { client: c, release } = acquireRealtime(gatewayUrl);
    setClient(c);
    return () => {
      release();
      setClient(null);
    };
  }, [gatewayUrl]);
  return <RealtimeContext.Provider value={client}>{children}</RealtimeContext.Provider>;
}

/** The page's realtime client; null before it is opened (first render, server). */
export function useRealtime(): RealtimeClient | null {
  return useContext(RealtimeContext);
}

/** The socket's connection state. */
export function useRealtimeConnection(): RealtimeConnection {
  const client = useRealtime();
  const [c, setC] = useState<RealtimeConnection>({ state: 'connecting' });
  useEffect(() => (client ? client.onConnection(setC) : undefined), [client]);
  return c;
}
