import { cameraFeatureJson, type FilterMasks } from './feature-json';
import type { FilterWorkerAnswer, FilterWorkerRequest } from './filter-worker';
import type { CameraMapData } from './types';

export interface BuiltFeatures {
  /** blob: URL of the GeoJSON text; valid until the next build or `close()`. */
  url: string;
  count: number;
}

/**
 * Builds the filtered camera GeoJSON off the main thread (a module worker holding the columns),
 * or on it when workers are unavailable. Keeps the last URL alive for the map source and revokes
 * the one before. One per map; `close()` ends the worker.
 */
export class CameraFeatureBuilder {
  #worker: Worker | null | undefined;
  #data: CameraMapData | undefined;
  #seq = 0;
  readonly #pending = new Map<number, { resolve(b: BuiltFeatures): void; reject(e: Error): void }>();
  #current: string | undefined;
  #closed = false;

  #ensureWorker(): Worker | null {
    if (this.#worker !== undefined) return this.#worker;
    try {
      const worker = new Worker(new URL('./filter-worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (e: MessageEvent<FilterWorkerAnswer>) => this.#answer(e.data);
      worker.onerror = () => this.#fail(new Error('the filter worker failed'));
      this.#worker = worker;
    } catch {
      this.#worker = null;
    }
    return this.#worker;
  }

  #post(message: FilterWorkerRequest): void {
    this.#worker?.postMessage(message);
  }

  #answer(a: FilterWorkerAnswer): void {
    const p = this.#pending.get(a.seq);
    if (!p) {
      if (a.type === 'filtered') URL.revokeObjectURL(a.url);
      return;
    }
    this.#pending.delete(a.seq);
    if (a.type === 'failed') p.reject(new Error(a.message));
    else p.resolve(this.#keep({ url: a.url, count: a.count }));
  }

  #fail(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#worker?.terminate();
    this.#worker = null;
  }

  #keep(b: BuiltFeatures): BuiltFeatures {
    if (this.#closed) {
      URL.revokeObjectURL(b.url);
      return b;
    }
    if (this.#current) URL.revokeObjectURL(this.#current);
    this.#current = b.url;
    return b;
  }

  /** The filtered cameras of `data` as a GeoJSON URL for `source.setData`. */
  build(data: CameraMapData, masks: FilterMasks): Promise<BuiltFeatures> {
    const worker = this.#ensureWorker();
    if (!worker) {
      const { json, count } = cameraFeatureJson(data, masks);
      return Promise.resolve(this.#keep({ url: URL.createObjectURL(new Blob([json])), count }));
    }
    if (this.#data !== data) {
      this.#data = data;
      const { count, lon, lat, grade, district, category } = data;
      this.#post({ type: 'columns', columns: { count, lon, lat, grade, district, category } });
    }
    const seq = ++this.#seq;
    return new Promise<BuiltFeatures>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.#post({ type: 'filter', seq, masks });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail(new Error('closed'));
    if (this.#current) URL.revokeObjectURL(this.#current);
    this.#current = undefined;
  }
}
