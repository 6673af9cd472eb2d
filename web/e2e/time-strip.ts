import { join } from 'node:path';

// Reading the wall-clock time strip of the time-strip cameras (SIM_STRIP_CAMERAS) from what a wall
// shows, with the simulator's own reader (infra/cameras/time-strip.js, added to the page as an
// init script: `STRIP_READER`). `readStrips` runs in the page (page.evaluate): it copies the top
// rows of every named video into a canvas in one task — the same instant for all of them — and
// reads each copy after.

/** The shared reader's path, for `addInitScript({ path })`. */
export const STRIP_READER = join(import.meta.dirname, '..', '..', 'infra', 'cameras', 'time-strip.js');

export type StripReading = { ok: true; ms: number } | { ok: false; why: string };

export interface StripSnapshot {
  /** The page's Date.now() when the videos were copied. */
  at: number;
  readings: StripReading[];
}

/** In the page: the capture time in the frame each video (CSS selector) presents now. */
export function readStrips(selectors: string[]): StripSnapshot {
  type Read = (v: unknown, w: number, h: number, now: number) => { capture?: number; rejected?: string };
  const reader = (globalThis as unknown as { wallTimeStrip?: { BITS: number; read: Read } }).wallTimeStrip;
  if (!reader) throw new Error('the time-strip reader is not on the page (addInitScript STRIP_READER)');
  const at = Date.now();
  const copies = selectors.map((sel) => {
    const v = document.querySelector(sel);
    if (!(v instanceof HTMLVideoElement) || v.videoWidth === 0) return null;
    const w = v.videoWidth;
    const rows = Math.min(v.videoHeight, Math.ceil(w / reader.BITS) + 2);
    const copy = document.createElement('canvas');
    copy.width = w;
    copy.height = rows;
    copy.getContext('2d')?.drawImage(v, 0, 0, w, rows, 0, 0, w, rows);
    // The reader draws from `videoWidth`-sized sources: the copy stands in for the video.
    return Object.assign(copy, { videoWidth: w });
  });
  const readings = copies.map((c): StripReading => {
    if (!c) return { ok: false, why: 'no-video' };
    const r = reader.read(c, c.width, c.height, at);
    return r.capture !== undefined ? { ok: true, ms: r.capture } : { ok: false, why: r.rejected ?? '?' };
  });
  return { at, readings };
}
