// Entry of a verify worker thread (see verify-workers.ts). Plain JavaScript, so that it starts in
// any host: the TypeScript loader of the parent (`--import tsx`) does not reach worker threads on
// Node 20, so it is registered here, for this thread, before the range walker is imported.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runVerifyRange } = await import('./verify-range-worker.ts');
try {
  parentPort.postMessage({ ok: true, result: await runVerifyRange(workerData) });
} catch (err) {
  parentPort.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
}
