import { type EmergencyUseNotice, emergencyUseNoticeSchema } from '@wall/protocol';

// The notices control (top bar) and the notices page are separate client leaves of one page: they
// talk through window events. The "seen up to" marker lives in localStorage, per user, so that it
// outlasts the session and other tabs follow it (`storage` events).

const SEEN_EVENT = 'wall:emergency-notices-seen';
const USE_EVENT = 'wall:emergency-use';

const seenKey = (userId: string) => `wall.emergencyNotices.seenSeq.${userId.toLowerCase()}`;

/** The highest `seq` the user has seen on the notices page (0: never visited, or no storage). */
export function readSeen(userId: string): number {
  let raw: string | null = null;
  try {
    raw = window.localStorage.getItem(seenKey(userId));
  } catch {
    // Storage disabled (privacy settings): nothing was seen, every use counts as new.
    return 0;
  }
  const n = raw === null ? 0 : Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** Records that the user has seen every use up to `seq` (the marker only moves forward). */
export function markSeen(userId: string, seq: number): number {
  const next = Math.max(readSeen(userId), seq);
  try {
    window.localStorage.setItem(seenKey(userId), String(next));
  } catch {
    // Storage disabled: the marker lasts as long as this page (the event below still tells the badge).
  }
  window.dispatchEvent(new CustomEvent(SEEN_EVENT, { detail: { userId: userId.toLowerCase(), seq: next } }));
  return next;
}

/** Calls `cb` with the new marker whenever it moves (this tab or another). */
export function onSeen(userId: string, cb: (seq: number) => void): () => void {
  const key = seenKey(userId);
  const local = (e: Event) => {
    const d = (e as CustomEvent<{ userId?: unknown; seq?: unknown }>).detail;
    if (d?.userId === userId.toLowerCase() && typeof d.seq === 'number') cb(d.seq);
  };
  const other = (e: StorageEvent) => {
    if (e.key === key) cb(readSeen(userId));
  };
  window.addEventListener(SEEN_EVENT, local);
  window.addEventListener('storage', other);
  return () => {
    window.removeEventListener(SEEN_EVENT, local);
    window.removeEventListener('storage', other);
  };
}

/** Tells the page that a use was just announced over the realtime socket. */
export function announceUse(notice: EmergencyUseNotice): void {
  window.dispatchEvent(new CustomEvent(USE_EVENT, { detail: notice }));
}

/** Calls `cb` with every use announced on this page. */
export function onUse(cb: (notice: EmergencyUseNotice) => void): () => void {
  const listener = (e: Event) => {
    const n = emergencyUseNoticeSchema.safeParse((e as CustomEvent<unknown>).detail);
    if (n.success) cb(n.data);
  };
  window.addEventListener(USE_EVENT, listener);
  return () => window.removeEventListener(USE_EVENT, listener);
}
