'use client';

import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { RealtimeClient, type RealtimeConnection } from './client';

const RealtimeContext = createContext<RealtimeClient | null>(null);

/** One realtime socket to the gateway for the page below it (opened in the browser only). */
export function RealtimeProvider({ gatewayUrl, children }: { gatewayUrl: string; children: ReactNode }) {
  const [client, setClient] = useState<RealtimeClient | null>(null);
  useEffect(() => {
    const c = new RealtimeClient(gatewayUrl);
    setClient(c);
    return () => {
      c.close();
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
