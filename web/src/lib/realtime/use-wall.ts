'use client';

import type { WallCommand, WallState } from '@wall/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorBodyOfUnknown, GatewayError } from '../gateway';
import { useRealtime } from './provider';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A wall command without its version: `send` adds the version of the state it is made against. */
export type WallCommandInput = DistributiveOmit<WallCommand, 'version'>;

export interface SendOptions {
  /**
   * After `conflict:version` (someone else changed the wall first), whether the command still
   * makes sense on the current state; if so it is sent once more against it. Default: the tiles
   * it names still exist.
   */
  stillMakesSense?: (current: WallState) => boolean;
}

export interface WallHandle {
  /** The wall as last received (join, acknowledgement or `wall:updated`); null before the join. */
  state: WallState | null;
  /** Why the wall could not be joined (`not_found:wall`, `forbidden:wall`, …). */
  error: { code: string; message: string } | null;
  /** Applies a command (commands of this page are sent one after another). */
  send(cmd: WallCommandInput, options?: SendOptions): Promise<WallState>;
}

function tilesExist(cmd: WallCommandInput, state: WallState): boolean {
  const n = state.tiles.length;
  switch (cmd.type) {
    case 'assign':
    case 'clear':
    case 'setTour':
    case 'setTileMode':
      return cmd.index < n;
    case 'swap':
      return cmd.a < n && cmd.b < n;
    case 'setLayout':
    case 'playbackStart':
    case 'playbackSeek':
    case 'playbackLive':
      return true;
    case 'playbackPause':
    case 'playbackSpeed':
      return state.playback !== null;
  }
}

/**
 * Follows a wall through the realtime socket: joins its room (again after every reconnect, taking
 * the state the join answers), applies `wall:updated` pushes newer than what it holds, and sends
 * commands with the expected version — on `conflict:version` it takes the `current` state and
 * retries once when the command still makes sense.
 */
export function useWall(wallId: string): WallHandle {
  const client = useRealtime();
  const [state, setState] = useState<WallState | null>(null);
  const [error, setError] = useState<WallHandle['error']>(null);
  const stateRef = useRef<WallState | null>(null);
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  const adopt = useCallback(
    (next: WallState, force = false) => {
      if (next.id.toLowerCase() !== wallId.toLowerCase()) return;
      const cur = stateRef.current;
      if (!force && cur && cur.version >= next.version) return;
      stateRef.current = next;
      setState(next);
    },
    [wallId],
  );

  useEffect(() => {
    if (!client) return;
    let disposed = false;
    const offUpdated = client.on('wall:updated', (s) => adopt(s));
    const offConn = client.onConnection((c) => {
      if (c.state === 'refused') setError({ code: c.code, message: c.message });
      if (c.state !== 'connected') return;
      client.joinWall(wallId).then(
        (s) => {
          if (disposed) return;
          setError(null);
          adopt(s, true);
        },
        (err: unknown) => {
          if (!disposed) setError(errorBodyOfUnknown(err));
        },
      );
    });
    return () => {
      disposed = true;
      offUpdated();
      offConn();
      client.leaveWall(wallId).catch(() => undefined);
    };
  }, [client, wallId, adopt]);

  const send = useCallback(
    (cmd: WallCommandInput, options: SendOptions = {}): Promise<WallState> => {
      const run = async (): Promise<WallState> => {
        if (!client) throw new GatewayError('client:network', 'not connected to the gateway');
        const base = stateRef.current;
        if (!base) throw new GatewayError('client:network', 'the wall is not loaded yet');
        try {
          const next = await client.command(wallId, { ...cmd, version: base.version } as WallCommand);
          adopt(next);
          return next;
        } catch (err) {
          if (!(err instanceof GatewayError) || err.code !== 'conflict:version' || !err.current) throw err;
          adopt(err.current, true);
          const ok = options.stillMakesSense ?? ((s: WallState) => tilesExist(cmd, s));
          if (!ok(err.current)) throw err;
          const next = await client.command(wallId, { ...cmd, version: err.current.version } as WallCommand);
          adopt(next);
          return next;
        }
      };
      const result = queue.current.then(run, run);
      queue.current = result.catch(() => undefined);
      return result;
    },
    [client, wallId, adopt],
  );

  return { state, error, send };
}
