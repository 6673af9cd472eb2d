'use client';

import {
  MAX_WATCH_PER_REQUEST,
  MAX_WATCHED_CAMERAS,
  type StreamProfile,
  type StreamState,
  type StreamStatus,
} from '@wall/protocol';
import { useEffect, useRef, useState } from 'react';
import { useRealtime } from './provider';

/** Key of a status in the map `useCameraStatus` returns. */
export const statusKey = (cameraId: string, profile: StreamProfile) => `${cameraId.toLowerCase()}/${profile}`;

/** Best first: a camera shows the state of its best profile. */
const RANK: Record<StreamState, number> = { live: 3, starting: 2, stalled: 1, offline: 0 };

/** One state per camera (lower-case id): the best of its profiles' states. */
export function cameraStates(statuses: ReadonlyMap<string, StreamStatus>): Record<string, StreamState> {
  const out: Record<string, StreamState> = {};
  for (const s of statuses.values()) {
    const id = s.cameraId.toLowerCase();
    const cur = out[id];
    if (cur === undefined || RANK[s.state] > RANK[cur]) out[id] = s.state;
  }
  return out;
}

/**
 * The cameras to watch (oldest first) when `visible` are in view: all of them (the first `max`),
 * plus those watched before while there is room — a camera scrolled out of view stays watched until the
 * limit needs its place (every watch is audited; panning back and forth should not repeat them).
 */
export function retainWatch(
  watched: readonly string[],
  visible: readonly string[],
  max: number = MAX_WATCHED_CAMERAS,
): string[] {
  const want = [...new Set(visible.map((c) => c.toLowerCase()))].slice(0, max);
  const inView = new Set(want);
  const out = watched.filter((id) => !inView.has(id));
  // The longest watched make room first.
  const room = Math.max(0, max - want.length);
  return [...out.slice(Math.max(0, out.length - room)), ...want];
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * Stream status of these cameras as the media nodes publish it (`camera:status`), keyed by
 * `statusKey(cameraId, profile)`; the map changes when a stream's state changes (the figures in
 * a kept status are those of its last state change). Watches the cameras that appear, unwatches those that go, and
 * watches all again after a reconnect.
 */
export function useCameraStatus(cameraIds: readonly string[]): ReadonlyMap<string, StreamStatus> {
  const client = useRealtime();
  const [statuses, setStatuses] = useState<ReadonlyMap<string, StreamStatus>>(() => new Map());
  const watched = useRef(new Set<string>());
  const key = [...new Set(cameraIds.map((c) => c.toLowerCase()))].sort().join(',');

  useEffect(() => {
    if (!client) return;
    const off = client.on('camera:status', (s) => {
      // Nodes repeat a stream's status every few seconds: only a change of state re-renders.
      setStatuses((prev) => {
        const key = statusKey(s.cameraId, s.profile);
        if (prev.get(key)?.state === s.state) return prev;
        const next = new Map(prev);
        next.set(key, s);
        return next;
      });
    });
    const offConn = client.onConnection((c) => {
      // The gateway forgets the rooms of a dropped socket: watch everything again.
      if (c.state === 'connected' && watched.current.size > 0) {
        for (const part of chunks([...watched.current], MAX_WATCH_PER_REQUEST))
          client.watch(part).catch(() => undefined);
      }
    });
    return () => {
      off();
      offConn();
    };
  }, [client]);

  useEffect(() => {
    if (!client) return;
    const want = new Set(key === '' ? [] : key.split(','));
    const added = [...want].filter((id) => !watched.current.has(id));
    const removed = [...watched.current].filter((id) => !want.has(id));
    watched.current = want;
    if (client.connection.state === 'connected') {
      for (const part of chunks(added, MAX_WATCH_PER_REQUEST)) client.watch(part).catch(() => undefined);
    }
    for (const part of chunks(removed, MAX_WATCH_PER_REQUEST)) client.unwatch(part).catch(() => undefined);
    if (removed.length > 0) {
      setStatuses((prev) => {
        const next = new Map(prev);
        for (const k of prev.keys()) if (removed.includes(k.split('/')[0] ?? '')) next.delete(k);
        return next;
      });
    }
  }, [client, key]);

  return statuses;
}
