/**
 * The timeline's visible window and its zoom, from 30 days down to 1 minute. Pure: times in
 * wall-clock ms, positions in CSS pixels.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The zoom levels (visible span), narrowest first: buttons and + / - step through them. */
export const ZOOM_SPANS: readonly number[] = [
  MIN,
  5 * MIN,
  15 * MIN,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  3 * DAY,
  7 * DAY,
  30 * DAY,
];
export const MIN_SPAN = MIN;
export const MAX_SPAN = 30 * DAY;

export interface TimeView {
  /** Wall-clock ms at the left edge. */
  start: number;
  /** Visible span, ms. */
  span: number;
}

export function timeToX(view: TimeView, t: number, width: number): number {
  return ((t - view.start) / view.span) * width;
}

export function xToTime(view: TimeView, x: number, width: number): number {
  return view.start + (x / Math.max(width, 1)) * view.span;
}

/** The view kept inside [min, max] (the right edge never beyond max, e.g. now). */
export function clampView(view: TimeView, bounds: { min: number; max: number }): TimeView {
  const span = Math.min(Math.max(view.span, MIN_SPAN), MAX_SPAN);
  let start = view.start;
  if (start + span > bounds.max) start = bounds.max - span;
  if (start < bounds.min) start = bounds.min;
  return { start, span };
}

/** A new span with `anchor` (a time) staying at the same place on screen. */
export function zoomTo(view: TimeView, span: number, anchor: number): TimeView {
  const next = Math.min(Math.max(span, MIN_SPAN), MAX_SPAN);
  const ratio = (anchor - view.start) / view.span;
  return { start: anchor - ratio * next, span: next };
}

/** The next zoom level in (`-1`, narrower) or out (`+1`, wider) from the current span. */
export function stepSpan(span: number, direction: 1 | -1): number {
  if (direction < 0) {
    const narrower = [...ZOOM_SPANS].reverse().find((s) => s < span - 1);
    return narrower ?? MIN_SPAN;
  }
  return ZOOM_SPANS.find((s) => s > span + 1) ?? MAX_SPAN;
}

/** A wheel's `deltaY` (pixels) as a zoom factor: 100 px (one notch) zooms by 1.25. */
export function wheelSpan(span: number, deltaY: number): number {
  const factor = 1.25 ** (deltaY / 100);
  return Math.min(Math.max(span * factor, MIN_SPAN), MAX_SPAN);
}

/** The view after dragging by `dx` pixels (content follows the pointer). */
export function panBy(view: TimeView, dx: number, width: number): TimeView {
  return { start: view.start - (dx / Math.max(width, 1)) * view.span, span: view.span };
}

const TICK_STEPS: readonly number[] = [
  1000,
  5000,
  10_000,
  30_000,
  MIN,
  5 * MIN,
  10 * MIN,
  30 * MIN,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

/**
 * Tick marks for the view: the smallest step keeping `minGapPx` between labels, aligned to the
 * local clock (`offsetMs`: the zone's offset from UTC, e.g. +8 h for China).
 */
export function ticks(
  view: TimeView,
  width: number,
  offsetMs: number,
  minGapPx = 90,
): { step: number; at: number[] } {
  const step = TICK_STEPS.find((s) => (s / view.span) * width >= minGapPx) ?? (TICK_STEPS.at(-1) as number);
  const first = Math.ceil((view.start + offsetMs) / step) * step - offsetMs;
  const at: number[] = [];
  for (let t = first; t <= view.start + view.span; t += step) at.push(t);
  return { step, at };
}
