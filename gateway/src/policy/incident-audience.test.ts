import { CHANGZHOU_DISTRICTS } from '@wall/protocol/districts';
import { describe, expect, it } from 'vitest';
import { circleReaches, incidentAudience, incidentDistricts, incidentRoomsOf } from './incident-audience.ts';

// District centroids (from the published GeoJSON).
const TIANNING = { lon: 120.060044, lat: 31.801986 };
const LIYANG = { lon: 119.376273, lat: 31.419784 };
const SHANGHAI = { lon: 121.47, lat: 31.23 };

describe('incidentRoomsOf', () => {
  it.each([
    ['city police', { tier: 'city', districtCode: null, departmentKind: 'police' }, ['incidents:city']],
    ['city emergency', { tier: 'city', districtCode: null, departmentKind: 'emergency' }, ['incidents:city']],
    [
      'district police',
      { tier: 'district', districtCode: '320402', departmentKind: 'police' },
      ['incidents:district:320402'],
    ],
    [
      'district emergency',
      { tier: 'district', districtCode: '320412', departmentKind: 'emergency' },
      ['incidents:district:320412'],
    ],
    [
      'district police without a district',
      { tier: 'district', districtCode: null, departmentKind: 'police' },
      [],
    ],
    ['a unit (owner)', { tier: 'unit', districtCode: '320402', departmentKind: 'owner' }, []],
    ['unit-tier police', { tier: 'unit', districtCode: '320402', departmentKind: 'police' }, []],
    ['city administration', { tier: 'city', districtCode: null, departmentKind: 'admin' }, []],
    ['city regulator', { tier: 'city', districtCode: null, departmentKind: 'regulator' }, []],
    ['state security', { tier: 'city', districtCode: null, departmentKind: 'state_security' }, []],
    ['district administration', { tier: 'district', districtCode: '320402', departmentKind: 'admin' }, []],
  ] as const)('%s → %j', (_name, user, rooms) => {
    expect(incidentRoomsOf(user)).toEqual(rooms);
  });
});

describe('incidentDistricts', () => {
  it('a small incident at a district centroid concerns that district only', () => {
    expect(incidentDistricts({ ...TIANNING, radiusM: 500, districtCode: '320402' })).toEqual(['320402']);
    expect(incidentDistricts({ ...LIYANG, radiusM: 500, districtCode: null })).toEqual(['320481']);
  });

  it('a circle that crosses a boundary concerns the neighbour too', () => {
    // The western edge of Tianning borders Zhonglou: a 2 km circle 300 m inside Tianning's
    // westernmost point reaches across.
    const tianning = CHANGZHOU_DISTRICTS.features.find((f) => String(f.properties.adcode) === '320402');
    const ring = tianning?.geometry.coordinates[0]?.[0] ?? [];
    const west = ring.reduce((a, b) => (b[0] < a[0] ? b : a));
    const near = { lon: west[0] + 0.003, lat: west[1], radiusM: 2000, districtCode: null };
    const codes = incidentDistricts(near);
    expect(codes.length).toBeGreaterThan(1);
    expect(codes).toContain('320402');
  });

  it('a radius of 100 km from the centre of Tianning reaches every district', () => {
    expect(incidentDistricts({ ...TIANNING, radiusM: 100_000, districtCode: '320402' })).toEqual([
      '320402',
      '320404',
      '320411',
      '320412',
      '320413',
      '320481',
    ]);
  });

  it('an incident outside the city reaches nothing unless its circle does', () => {
    expect(incidentDistricts({ ...SHANGHAI, radiusM: 1000, districtCode: null })).toEqual([]);
    expect(incidentAudience({ ...SHANGHAI, radiusM: 1000, districtCode: null })).toEqual(['incidents:city']);
  });

  it('keeps the recorded district even when the circle is elsewhere', () => {
    expect(incidentDistricts({ ...LIYANG, radiusM: 10, districtCode: '320402' })).toEqual([
      '320402',
      '320481',
    ]);
  });

  it('sends to the city room and each district room', () => {
    expect(incidentAudience({ ...TIANNING, radiusM: 500, districtCode: '320402' })).toEqual([
      'incidents:city',
      'incidents:district:320402',
    ]);
  });
});

describe('circleReaches', () => {
  const square = [
    [
      [
        [0, 0],
        [0.01, 0],
        [0.01, 0.01],
        [0, 0.01],
        [0, 0],
      ],
    ],
  ] as [number, number][][][];
  it.each([
    ['centre inside', 0.005, 0.005, 1, true],
    ['centre outside, edge within radius', 0.005, -0.001, 120, true],
    ['centre outside, edge beyond radius', 0.005, -0.001, 100, false],
    ['near a corner', 0.011, 0.011, 160, true],
    ['a negative radius', 0.005, 0.005, -1, false],
    ['NaN coordinates', Number.NaN, 0.005, 1000, false],
  ])('%s → %s', (_name, lon, lat, r, expected) => {
    expect(circleReaches(square, lon, lat, r)).toBe(expected);
  });
});
