import { describe, expect, it } from 'vitest';
import {
  clampView,
  MAX_SPAN,
  MIN_SPAN,
  panBy,
  stepSpan,
  ticks,
  timeToX,
  wheelSpan,
  xToTime,
  zoomTo,
} from './zoom';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('timeline zoom', () => {
  it.each([
    [MIN, -1, MIN],
    [MIN, 1, 5 * MIN],
    [HOUR, 1, 3 * HOUR],
    [HOUR, -1, 15 * MIN],
    [2 * HOUR, 1, 3 * HOUR], // between levels: the next one out
    [2 * HOUR, -1, HOUR], // … or in
    [30 * DAY, 1, MAX_SPAN],
    [30 * DAY, -1, 7 * DAY],
  ] as const)('span %s, step %s → %s', (span, dir, next) => {
    expect(stepSpan(span, dir)).toBe(next);
  });

  it.each([
    [HOUR, 100, HOUR * 1.25],
    [HOUR, -100, HOUR / 1.25],
    [HOUR, 0, HOUR],
    [MIN, -500, MIN_SPAN],
    [29 * DAY, 1000, MAX_SPAN],
  ])('wheel: span %s, deltaY %s → %s', (span, dy, next) => {
    expect(wheelSpan(span, dy)).toBeCloseTo(next, 3);
  });

  it('zooms around the anchor: the time under the pointer stays under it', () => {
    const view = { start: 0, span: HOUR };
    const anchor = 15 * MIN; // at a quarter of the width
    const next = zoomTo(view, 4 * MIN, anchor);
    expect(next.span).toBe(4 * MIN);
    expect(timeToX(next, anchor, 1000)).toBeCloseTo(250, 6);
    expect(zoomTo(view, 10, anchor).span).toBe(MIN_SPAN);
  });

  it.each([
    // [view, bounds, clamped]
    [
      { start: 100, span: HOUR },
      { min: 0, max: 2 * HOUR },
      { start: 100, span: HOUR },
    ],
    [
      { start: HOUR + 1, span: HOUR },
      { min: 0, max: 2 * HOUR },
      { start: HOUR, span: HOUR },
    ],
    [
      { start: -5, span: HOUR },
      { min: 0, max: 2 * HOUR },
      { start: 0, span: HOUR },
    ],
    [
      { start: 0, span: 1 },
      { min: 0, max: DAY },
      { start: 0, span: MIN_SPAN },
    ],
  ])('clamps %o into %o', (view, bounds, clamped) => {
    expect(clampView(view, bounds)).toEqual(clamped);
  });

  it('maps x ↔ time and pans with the pointer', () => {
    const view = { start: 1000, span: 10_000 };
    expect(xToTime(view, 500, 1000)).toBe(6000);
    expect(timeToX(view, 6000, 1000)).toBe(500);
    expect(panBy(view, 100, 1000)).toEqual({ start: 0, span: 10_000 });
  });

  it.each([
    // span, width → tick step (≥ 90 px apart)
    [MIN, 1200, 5000],
    [HOUR, 1200, 5 * MIN],
    [DAY, 1200, 3 * HOUR],
    [30 * DAY, 1200, 7 * DAY],
  ])('ticks: span %s over %s px every %s ms', (span, width, step) => {
    expect(ticks({ start: 0, span }, width, 0).step).toBe(step);
  });

  it('aligns ticks to the local clock (China, UTC+8)', () => {
    const offset = 8 * HOUR;
    const start = Date.parse('2026-12-08T01:10:00Z'); // 09:10 in Beijing
    const { step, at } = ticks({ start, span: DAY }, 1200, offset);
    expect(step).toBe(3 * HOUR);
    // 12:00 Beijing = 04:00Z, then every 3 h
    expect(new Date(at[0] ?? 0).toISOString()).toBe('2026-12-08T04:00:00.000Z');
    expect(at).toHaveLength(8);
  });
});
