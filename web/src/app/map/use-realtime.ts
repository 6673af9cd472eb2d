import {
  type Incident,
  incidentSchema,
  MAX_WATCH_PER_REQUEST,
  MAX_WATCHED_CAMERAS,
  type StreamState,
  streamStatusSchema,
} from '@wall/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { acquireRealtime, type RealtimeClient } from '../../lib/realtime';

/** Worst-first order: a camera shows its best profile's state. */
const RANK: Record<StreamState, number> = { live: 3, starting: 2, stalled: 1, offline: 0 };

/**
 * The map page's realtime feed from the gateway (`/realtime`, cookie auth): open incidents as they
 * open and close, and the live status of the cameras it is asked to watch (at most 256).
 */
export function useRealtime(
  gatewayUrl: string,
  initialIncidents: () => Promise<Incident[]>,
): {
  incidents: Incident[];
  statuses: Record<string, StreamState>;
  watch(cameraIds: string[]): void;
  connected: boolean;
} {
  const [incidents, setIncidents] = useState<Incident[]>([]);
  const [statuses, setStatuses] = useState<Record<string, StreamState>>({});
  const [connected, setConnected] = useState(false);
  const clientRef = useRef<RealtimeClient | null>(null);
  const watched = useRef(new Set<string>());
  const loadIncidents = useRef(initialIncidents);
  loadIncidents.current = initialIncidents;

  useEffect(() => {
    // The page's one socket, shared with the top bar's notices (acquireRealtime).
    const { client, release } = acquireRealtime(gatewayUrl);
    clientRef.current = client;
    const perProfile = new Map<string, Partial<Record<'main' | 'sub', StreamState>>>();
    const refresh = () => {
      loadIncidents
        .current()
        .then(setIncidents)
        .catch(() => undefined);
    };
    const offs = [
      client.onConnection((c) => {
        const up = c.state === 'connected';
        setConnected(up);
        if (!up) return;
        refresh();
        // Rooms are per connection: watch again after a reconnection.
        const ids = [...watched.current];
        watched.current = new Set();
        watchIds(client, watched.current, ids);
      }),
      client.on('incident:opened', (raw) => {
        const i = incidentSchema.safeParse(raw);
        if (i.success) setIncidents((list) => [i.data, ...list.filter((x) => x.id !== i.data.id)]);
      }),
      client.on('incident:closed', (raw) => {
        const i = incidentSchema.safeParse(raw);
        if (i.success) setIncidents((list) => list.filter((x) => x.id !== i.data.id));
      }),
      client.on('camera:status', (raw) => {
        const s = streamStatusSchema.safeParse(raw);
        if (!s.success) return;
        const p = { ...perProfile.get(s.data.cameraId), [s.data.profile]: s.data.state };
        perProfile.set(s.data.cameraId, p);
        const best = [p.main, p.sub]
          .filter((x): x is StreamState => x !== undefined)
          .sort((a, b) => RANK[b] - RANK[a])[0];
        if (best)
          setStatuses((prev) =>
            prev[s.data.cameraId] === best ? prev : { ...prev, [s.data.cameraId]: best },
          );
      }),
    ];
    return () => {
      for (const off of offs) off();
      release();
      clientRef.current = null;
    };
  }, [gatewayUrl]);

  const watch = useCallback((cameraIds: string[]) => {
    const client = clientRef.current;
    if (client?.connection.state !== 'connected') {
      // Remembered; watched on connect.
      for (const id of cameraIds.slice(0, MAX_WATCHED_CAMERAS)) watched.current.add(id);
      return;
    }
    const want = new Set(cameraIds.slice(0, MAX_WATCHED_CAMERAS));
    const gone = [...watched.current].filter((id) => !want.has(id));
    // Keep what is still in view; make room only when the limit would be passed.
    const fresh = [...want].filter((id) => !watched.current.has(id));
    const overflow = watched.current.size + fresh.length - MAX_WATCHED_CAMERAS;
    if (overflow > 0) {
      const drop = gone.slice(0, overflow);
      for (const id of drop) watched.current.delete(id);
      for (let k = 0; k < drop.length; k += MAX_WATCH_PER_REQUEST) {
        client.unwatch(drop.slice(k, k + MAX_WATCH_PER_REQUEST)).catch(() => undefined);
      }
    }
    watchIds(client, watched.current, fresh);
  }, []);

  return { incidents, statuses, watch, connected };
}

function watchIds(client: RealtimeClient, watched: Set<string>, ids: readonly string[]): void {
  for (let k = 0; k < ids.length; k += MAX_WATCH_PER_REQUEST) {
    const chunk = ids.slice(k, k + MAX_WATCH_PER_REQUEST);
    for (const id of chunk) watched.add(id);
    client.watch(chunk).then(
      (accepted) => {
        for (const id of chunk) if (!accepted.includes(id)) watched.delete(id);
      },
      () => {
        for (const id of chunk) watched.delete(id);
      },
    );
  }
}
