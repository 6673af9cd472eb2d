import { describe, expect, it } from 'vitest';
import { CHANGZHOU_DISTRICTS, districtAt, districtBounds, inMultiPolygon } from './districts.ts';
import { DISTRICTS } from './domain.ts';

describe('districts', () => {
  it('holds exactly the six districts of Changzhou with their adcodes', () => {
    const codes = CHANGZHOU_DISTRICTS.features.map((f) => String(f.properties.adcode)).sort();
    expect(codes).toEqual(DISTRICTS.map((d) => d.code).sort());
  });

  it.each([
    // district centroids published in the GeoJSON lie inside their own district
    ['320402', 120.060044, 31.801986],
    ['320404', 119.858011, 31.787817],
    ['320411', 119.886314, 31.924334],
    ['320412', 119.940815, 31.638666],
    ['320413', 119.509004, 31.717248],
    ['320481', 119.376273, 31.419784],
  ])('places the centroid of %s inside it', (code, lon, lat) => {
    expect(districtAt(lon, lat)).toBe(code);
  });

  it('places points outside the city nowhere', () => {
    expect(districtAt(121.47, 31.23)).toBeUndefined(); // Shanghai
    expect(districtAt(0, 0)).toBeUndefined();
  });

  it('computes a bounding box that contains the centroid', () => {
    const [minX, minY, maxX, maxY] = districtBounds('320402');
    expect(minX).toBeLessThan(120.060044);
    expect(maxX).toBeGreaterThan(120.060044);
    expect(minY).toBeLessThan(31.801986);
    expect(maxY).toBeGreaterThan(31.801986);
  });

  it('respects holes in a polygon', () => {
    const square = [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ] as [number, number][];
    const hole = [
      [4, 4],
      [6, 4],
      [6, 6],
      [4, 6],
      [4, 4],
    ] as [number, number][];
    expect(inMultiPolygon([[square, hole]], 2, 2)).toBe(true);
    expect(inMultiPolygon([[square, hole]], 5, 5)).toBe(false);
    expect(inMultiPolygon([[square]], 5, 5)).toBe(true);
  });
});
