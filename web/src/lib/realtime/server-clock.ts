'use client';

import { useEffect, useRef, useState } from 'react';
import { useRealtime } from './provider';

/** One `time:now` round trip: local clock when sent and answered, the server's clock in between. */
export interface ClockSample {
  sentMs: number;
  receivedMs: number;
  serverMs: number;
}

export interface ClockOffset {
  /** Server clock − local clock (ms). */
  offsetMs: number;
  /** Round trip of the sample it was taken from (ms): the offset is good to about half of it. */
  rttMs: number;
}

/**
 * The server clock's offset from the samples (Cristian's method): the sample with the shortest
 * round trip, the server's reading taken as made half-way through it. null without samples.
 */
export function clockOffset(samples: readonly ClockSample[]): ClockOffset | null {
  let best: ClockSample | undefined;
  for (const s of samples) {
    if (s.receivedMs < s.sentMs) continue;
    if (!best || s.receivedMs - s.sentMs < best.receivedMs - best.sentMs) best = s;
  }
  if (!best) return null;
  return {
    offsetMs: best.serverMs - (best.sentMs + best.receivedMs) / 2,
    rttMs: best.receivedMs - best.sentMs,
  };
}

export interface ServerClock {
  /** The server's time now (epoch ms), as well as this page knows it. */
  now(): number;
  /** The current estimate; null before the first answer (now() is then the local clock). */
  offset: ClockOffset | null;
}

/** Round trips per estimate; re-estimated this often (ms). */
const SAMPLES = 5;
const RESYNC_MS = 30_000;

/**
 * The gateway's clock on this page: `time:now` a few times after each (re)connection and every
 * 30 s, the shortest round trip kept. Every display of a wall computes the wall's playback
 * position from it, so they agree whatever their own clocks say.
 */
export function useServerClock(): ServerClock {
  const client = useRealtime();
  const [offset, setOffset] = useState<ClockOffset | null>(null);
  const offsetRef = useRef<ClockOffset | null>(null);

  useEffect(() => {
    if (!client) return;
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sync = async () => {
      const samples: ClockSample[] = [];
      for (let i = 0; i < SAMPLES && !disposed; i++) {
        const sentMs = Date.now();
        try {
          const serverMs = await client.serverNow();
          samples.push({ sentMs, receivedMs: Date.now(), serverMs });
        } catch {
          break; // not connected: the next connection syncs again
        }
      }
      const next = clockOffset(samples);
      if (!disposed && next) {
        offsetRef.current = next;
        setOffset(next);
      }
      if (!disposed) timer = setTimeout(() => void sync(), RESYNC_MS);
    };
    const off = client.onConnection((c) => {
      if (c.state !== 'connected') return;
      clearTimeout(timer);
      void sync();
    });
    return () => {
      disposed = true;
      clearTimeout(timer);
      off();
    };
  }, [client]);

  const nowRef = useRef(() => Date.now() + (offsetRef.current?.offsetMs ?? 0));
  return { now: nowRef.current, offset };
}
