// The camera filter worker: holds the camera columns and answers each filter with a blob: URL of
// the filtered GeoJSON text, which the map's source loads in its own worker — the page's main
// thread neither builds nor copies 100 000 features.
import { type CameraColumns, cameraFeatureJson, type FilterMasks } from './feature-json';

export type FilterWorkerRequest =
  | { type: 'columns'; columns: CameraColumns }
  | { type: 'filter'; seq: number; masks: FilterMasks };

export type FilterWorkerAnswer =
  | { type: 'filtered'; seq: number; url: string; count: number }
  | { type: 'failed'; seq: number; message: string };

interface WorkerScope {
  onmessage: ((e: MessageEvent<FilterWorkerRequest>) => void) | null;
  postMessage(message: FilterWorkerAnswer): void;
}

const scope = self as unknown as WorkerScope;
let columns: CameraColumns | undefined;

scope.onmessage = (e) => {
  const req = e.data;
  if (req.type === 'columns') {
    columns = req.columns;
    return;
  }
  try {
    if (!columns) throw new Error('no camera columns yet');
    const { json, count } = cameraFeatureJson(columns, req.masks);
    const url = URL.createObjectURL(new Blob([json], { type: 'application/geo+json' }));
    scope.postMessage({ type: 'filtered', seq: req.seq, url, count });
  } catch (err) {
    scope.postMessage({
      type: 'failed',
      seq: req.seq,
      message: err instanceof Error ? err.message : String(err),
    });
  }
};
