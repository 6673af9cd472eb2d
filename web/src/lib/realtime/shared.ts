import { RealtimeClient } from './client';

const shared = new Map<string, { client: RealtimeClient; users: number }>();

/**
 * The page's one realtime socket to `gatewayUrl`, shared by everything on the page that needs it
 * (the page's provider, the top bar's notices): opened by the first taker, closed when the last
 * one releases it. Browser only.
 */
export function acquireRealtime(gatewayUrl: string): { client: RealtimeClient; release: () => void } {
  let entry = shared.get(gatewayUrl);
  if (!entry) {
    entry = { client: new RealtimeClient(gatewayUrl), users: 0 };
    shared.set(gatewayUrl, entry);
  }
  entry.users++;
  const taken = entry;
  let released = false;
  return {
    client: taken.client,
    release: () => {
      if (released) return;
      released = true;
      taken.users--;
      if (taken.users === 0) {
        taken.client.close();
        if (shared.get(gatewayUrl) === taken) shared.delete(gatewayUrl);
      }
    },
  };
}
