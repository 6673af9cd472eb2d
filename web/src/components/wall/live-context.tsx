'use client';

import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { useSession } from '../../lib/gateway';
import { GrantCache } from './grant-cache';
import { ViewerPool } from './viewer-pool';

const LiveContext = createContext<ViewerPool | null>(null);
const GrantContext = createContext<GrantCache | null>(null);

/**
 * The page's live viewers, shared by all its tiles: one socket and ONE receive transport per media
 * node for the whole page (made in the browser on mount, closed on unmount); and its prefetched
 * stream tokens. Inside a `SessionProvider`.
 */
export function LiveProvider({ children }: { children: ReactNode }) {
  const { client } = useSession();
  const [grants] = useState(() => new GrantCache(client));
  const [pool, setPool] = useState<ViewerPool | null>(null);
  useEffect(() => {
    const p = new ViewerPool();
    p.preload();
    setPool(p);
    return () => {
      p.close();
      setPool(null);
    };
  }, []);
  return (
    <LiveContext.Provider value={pool}>
      <GrantContext.Provider value={grants}>{children}</GrantContext.Provider>
    </LiveContext.Provider>
  );
}

/** The page's prefetched stream tokens (see `GrantCache`). */
export function useGrantCache(): GrantCache | null {
  return useContext(GrantContext);
}

/** The page's viewer pool; null until mounted. */
export function useViewerPool(): ViewerPool | null {
  return useContext(LiveContext);
}
