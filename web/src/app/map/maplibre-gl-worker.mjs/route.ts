import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * MapLibre's web-worker module, served by this app (the map points `setWorkerUrl` here): the
 * bundler cannot place it beside the library's chunk, and nothing may be loaded from a CDN. The
 * file is the installed package's; browsers cache it per version (`?v=`).
 */
const WORKER_FILE = join(process.cwd(), 'node_modules', 'maplibre-gl', 'dist', 'maplibre-gl-worker.mjs');

export async function GET(): Promise<Response> {
  const bytes = await readFile(WORKER_FILE).catch(() => undefined);
  if (!bytes) return new Response('maplibre worker not installed', { status: 500 });
  return new Response(new Uint8Array(bytes), {
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    },
  });
}
