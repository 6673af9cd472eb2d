import { describe, expect, it } from 'vitest';
import {
  circlePoints,
  circleReaches,
  circleWithin,
  distanceToEdges,
  haversineMetres,
  type Ring,
} from './geo.ts';

// A square of about 1.1 km × 0.95 km near Changzhou.
const SQUARE: Ring[][] = [
  [
    [
      [120.0, 31.8],
      [120.01, 31.8],
      [120.01, 31.81],
      [120.0, 31.81],
      [120.0, 31.8],
    ],
  ],
];
const CENTRE = { lon: 120.005, lat: 31.805 };

describe('geometry on the policy sphere', () => {
  it('measures great-circle distances (one degree of latitude, one of longitude at 31.8°)', () => {
    expect(haversineMetres(120, 31, 120, 32)).toBeCloseTo(111_195, -1);
    expect(haversineMetres(120, 31.8, 121, 31.8)).toBeCloseTo(94_484, -2);
    expect(haversineMetres(120, 31.8, 120, 31.8)).toBe(0);
  });

  it.each([100, 2_000, 30_000])('puts every point of a %i m circle at that distance from its centre', (r) => {
    const points = circlePoints(CENTRE.lon, CENTRE.lat, r, 64);
    expect(points).toHaveLength(64);
    for (const [lon, lat] of points)
      expect(haversineMetres(CENTRE.lon, CENTRE.lat, lon, lat)).toBeCloseTo(r, 3);
  });

  it('measures the distance to the nearest edge (the square’s half width, east–west)', () => {
    expect(distanceToEdges(SQUARE, CENTRE.lon, CENTRE.lat)).toBeCloseTo(472, -1);
  });

  it.each([
    ['a small circle inside', CENTRE.lon, CENTRE.lat, 400, true, true],
    ['a circle crossing the edge', CENTRE.lon, CENTRE.lat, 700, false, true],
    ['a centre outside, edge within reach', 120.005, 31.799, 150, false, true],
    ['a centre outside, edge out of reach', 120.005, 31.799, 50, false, false],
    ['a negative radius', CENTRE.lon, CENTRE.lat, -1, false, false],
    ['NaN', Number.NaN, CENTRE.lat, 10, false, false],
  ])('%s: within %s, reaches %s', (_name, lon, lat, r, within, reaches) => {
    expect(circleWithin(SQUARE, lon, lat, r)).toBe(within);
    expect(circleReaches(SQUARE, lon, lat, r)).toBe(reaches);
  });
});
