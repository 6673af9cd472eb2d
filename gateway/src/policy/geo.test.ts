import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EARTH_RADIUS_M, haversineMetres } from './decide.ts';
import { radiusBox } from './geo.ts';

const DEG = 180 / Math.PI;

/** The point `d` metres from (lon, lat) on bearing `b` (radians), on the policy's sphere. */
function destination(lon: number, lat: number, d: number, b: number): [number, number] {
  const a = d / EARTH_RADIUS_M;
  const p1 = lat / DEG;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(a) + Math.cos(p1) * Math.sin(a) * Math.cos(b));
  const l2 =
    lon / DEG +
    Math.atan2(Math.sin(b) * Math.sin(a) * Math.cos(p1), Math.cos(a) - Math.sin(p1) * Math.sin(p2));
  return [((l2 * DEG + 540) % 360) - 180, p2 * DEG];
}

describe('radiusBox', () => {
  it('holds every point within the radius (the SQL prefilter never drops a camera)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -179, max: 179, noNaN: true }),
        fc.double({ min: -85, max: 85, noNaN: true }),
        fc.double({ min: 1, max: 50_000, noNaN: true }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (lon, lat, r, bearing, f) => {
          const [x, y] = destination(lon, lat, r * f, bearing);
          if (haversineMetres(lon, lat, x, y) > r) return; // rounding put it just outside
          const box = radiusBox(lon, lat, r);
          expect(x >= box.minLon && x <= box.maxLon && y >= box.minLat && y <= box.maxLat).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('is tight in Changzhou (2 km: about 4 km across) and widens at the poles and the antimeridian', () => {
    const b = radiusBox(119.95, 31.78, 2000);
    expect((b.maxLat - b.minLat) * (EARTH_RADIUS_M / DEG)).toBeCloseTo(4000, 0);
    expect(haversineMetres(b.minLon, 31.78, b.maxLon, 31.78)).toBeGreaterThan(4000);
    expect(haversineMetres(b.minLon, 31.78, b.maxLon, 31.78)).toBeLessThan(4001);
    expect(radiusBox(0, 89.99, 5000)).toMatchObject({ minLon: -180, maxLon: 180, maxLat: 90 });
    expect(radiusBox(179.99, 0, 5000)).toMatchObject({ minLon: -180, maxLon: 180 });
  });
});
