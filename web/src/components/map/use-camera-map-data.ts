'use client';

import { useCallback, useEffect, useState } from 'react';
import { GatewayError } from './api';
import { useMapClient } from './context';
import type { CameraMapData } from './types';

export interface CameraMapDataState {
  data: CameraMapData | undefined;
  /** The gateway's code (`auth:required`, `network`, …) when loading failed. */
  error: string | undefined;
  reload(): void;
}

/** Every camera the user may see (the compact map list), loaded once and on `reload()`. */
export function useCameraMapData(): CameraMapDataState {
  const client = useMapClient();
  const [data, setData] = useState<CameraMapData | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    void generation;
    const abort = new AbortController();
    performance.mark('map:cameras-fetch');
    client
      .cameraMap(abort.signal)
      .then((d) => {
        if (abort.signal.aborted) return;
        performance.mark('map:cameras-loaded');
        setData(d);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        setError(err instanceof GatewayError ? err.code : 'client:error');
      });
    return () => abort.abort();
  }, [client, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, reload };
}
