'use client';

import { type Incident, incidentSchema } from '@wall/protocol';
import { useEffect, useRef, useState } from 'react';
import { useRealtime } from './provider';

/** The open incidents after a push: an opened one first (replacing its older copy), a closed one gone. */
export function applyIncidentEvent(
  list: readonly Incident[],
  event: { type: 'opened' | 'closed'; incident: Incident },
): Incident[] {
  const rest = list.filter((x) => x.id !== event.incident.id);
  return event.type === 'opened' ? [event.incident, ...rest] : rest;
}

/**
 * Open incidents: loaded with `load` whenever the realtime socket (re)connects (pushes may have
 * been missed meanwhile), then kept by the realtime pushes (`incident:opened`, `incident:closed`, validated).
 * Inside a `RealtimeProvider`.
 */
export function useIncidents(load: () => Promise<Incident[]>): Incident[] {
  const client = useRealtime();
  const [incidents, setIncidents] = useState<Incident[]>([]);
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    if (!client) return;
    let live = true;
    const offs = [
      // Loaded on every (re)connection: pushes may have been missed while the socket was down.
      client.onConnection((c) => {
        if (c.state !== 'connected') return;
        loader
          .current()
          .then((list) => {
            if (live) setIncidents(list);
          })
          .catch(() => undefined);
      }),
      client.on('incident:opened', (raw) => {
        const i = incidentSchema.safeParse(raw);
        if (i.success) setIncidents((list) => applyIncidentEvent(list, { type: 'opened', incident: i.data }));
      }),
      client.on('incident:closed', (raw) => {
        const i = incidentSchema.safeParse(raw);
        if (i.success) setIncidents((list) => applyIncidentEvent(list, { type: 'closed', incident: i.data }));
      }),
    ];
    return () => {
      live = false;
      for (const off of offs) off();
    };
  }, [client]);

  return incidents;
}
