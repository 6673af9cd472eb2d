'use client';

import type { CameraItem } from '@wall/protocol';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { errorBodyOfUnknown, type GatewayClient } from '../../lib/gateway';

type Entry = { item: CameraItem } | { error: { code: string; message: string } };

/** Camera files the tiles show (name, district, grade), each read once per page. */
class CameraInfoCache {
  readonly #gateway: GatewayClient;
  readonly #entries = new Map<string, Promise<Entry>>();

  constructor(gateway: GatewayClient) {
    this.#gateway = gateway;
  }

  get(id: string): Promise<Entry> {
    const key = id.toLowerCase();
    let e = this.#entries.get(key);
    if (!e) {
      e = this.#gateway.camera(id).then(
        (item) => ({ item }),
        (err: unknown) => {
          // Not kept: a network failure may pass (a denial will be answered the same again).
          this.#entries.delete(key);
          return { error: errorBodyOfUnknown(err) };
        },
      );
      this.#entries.set(key, e);
    }
    return e;
  }
}

const CameraInfoContext = createContext<CameraInfoCache | null>(null);

export function CameraInfoProvider({ gateway, children }: { gateway: GatewayClient; children: ReactNode }) {
  const [cache] = useState(() => new CameraInfoCache(gateway));
  return <CameraInfoContext.Provider value={cache}>{children}</CameraInfoContext.Provider>;
}

/** The camera's file (`GET /api/cameras/:id`), undefined while loading or when it cannot be read. */
export function useCameraInfo(cameraId: string | null): CameraItem | undefined {
  const cache = useContext(CameraInfoContext);
  const [item, setItem] = useState<{ id: string; item: CameraItem } | undefined>(undefined);
  useEffect(() => {
    if (!cache || !cameraId) return;
    let live = true;
    void cache.get(cameraId).then((e) => {
      if (live && 'item' in e) setItem({ id: cameraId, item: e.item });
    });
    return () => {
      live = false;
    };
  }, [cache, cameraId]);
  return item && cameraId && item.id === cameraId ? item.item : undefined;
}
