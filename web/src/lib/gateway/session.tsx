'use client';

import type { Me, SessionInfo } from '@wall/protocol';
import { createContext, type ReactNode, useContext, useMemo } from 'react';
import { GatewayClient } from './client';

export interface Session {
  user: Me;
  /** The browser's gateway client (cookie session, CSRF token of this session). */
  client: GatewayClient;
  gatewayUrl: string;
}

const SessionContext = createContext<Session | null>(null);

/**
 * The signed-in user for the client components below it. The server page has already checked the
 * session (`loadSession`) and passes what `GET /api/me` answered, so nothing is fetched again.
 */
export function SessionProvider({
  gatewayUrl,
  session,
  children,
}: {
  gatewayUrl: string;
  session: SessionInfo;
  children: ReactNode;
}) {
  const value = useMemo<Session>(
    () => ({
      user: session.user,
      gatewayUrl,
      client: new GatewayClient(gatewayUrl, { csrfToken: session.csrfToken }),
    }),
    [gatewayUrl, session.user, session.csrfToken],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session of the page; throws outside a `SessionProvider`. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession() outside <SessionProvider>');
  return s;
}
