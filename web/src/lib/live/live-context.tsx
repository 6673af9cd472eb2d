'use client';

import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { GrantCache } from './grant-cache';
import type { GrantSource } from './player';
import type { LiveViewerEvent } from './viewer-client';
import { ViewerPool } from './viewer-pool';

const LiveContext = createContext<ViewerPool | null>(null);
const GrantContext = createContext<GrantCache | null>(null);

/**
 * The page's live viewers, shared by all its players: one socket and ONE receive transport per
 * media node for the whole page (made in the browser on mount, closed on unmount); and, given a
 * grant source, its prefetched stream tokens (`useGrantCache`).
 */
export function LiveProvider({
  grants,
  onEvent,
  children,
}: {
  /** Where prefetched grants come from (the gateway); without it there is no grant cache. */
  grants?: GrantSource;
  /** The live client's diagnostic events (the diagnostics page). */
  onEvent?: (nodeUrl: string, event: LiveViewerEvent) => void;
  children: ReactNode;
}) {
  const cache = useMemo(() => (grants ? new GrantCache(grants) : null), [grants]);
  const [pool, setPool] = useState<ViewerPool | null>(null);
  const eventSink = useRef(onEvent);
  eventSink.current = onEvent;
  useEffect(() => {
    const p = new ViewerPool((nodeUrl, event) => eventSink.current?.(nodeUrl, event));
    p.preload();
    setPool(p);
    return () => {
      p.close();
      setPool(null);
    };
  }, []);
  return (
    <LiveContext.Provider value={pool}>
      <GrantContext.Provider value={cache}>{children}</GrantContext.Provider>
    </LiveContext.Provider>
  );
}

/** The page's prefetched stream tokens (see `GrantCache`); null without a grant source. */
export function useGrantCache(): GrantCache | null {
  return useContext(GrantContext);
}

/** The page's viewer pool; null until mounted. */
export function useViewerPool(): ViewerPool | null {
  return useContext(LiveContext);
}
