import { describe, expect, it } from 'vitest';
import {
  confirmationRefusal,
  DEFAULT_RADIUS_LIMITS,
  declarationRefusal,
  type IncidentActor,
  mayReadIncident,
  parseRadiusLimits,
} from './incidents.ts';

// District centroids (from the published GeoJSON) and their distance to their district's edge.
const WUJIN = { lon: 119.940815, lat: 31.638666, districtCode: '320412' }; // edge ≈ 9.5 km
const TIANNING = { lon: 120.060044, lat: 31.801986, districtCode: '320402' }; // edge ≈ 2.5 km
const LIYANG = { lon: 119.376273, lat: 31.419784, districtCode: '320481' };
const ZHONGLOU = { lon: 119.858011, lat: 31.787817, districtCode: '320404' }; // edge ≈ 2.4 km, inner borders
const SHANGHAI = { lon: 121.47, lat: 31.23, districtCode: null };

const user = (over: Partial<IncidentActor> = {}): IncidentActor => ({
  id: 'u1',
  tier: 'district',
  districtCode: '320412',
  departmentKind: 'emergency',
  roles: ['operator'],
  ...over,
});
const cityEoc = user({ tier: 'city', districtCode: null });

describe('declarationRefusal: the whole area in the declarer’s scope, the radius within its level’s limit', () => {
  it.each([
    // The probe: a district user declares a level Ⅰ incident of 100 km around its district.
    [
      'district Ⅰ, 100 km (the probe)',
      user(),
      { ...WUJIN, level: 1, radiusM: 100_000 },
      'invalid:incident_radius',
    ],
    [
      'district Ⅰ, 20 km: crosses its district',
      user(),
      { ...WUJIN, level: 1, radiusM: 20_000 },
      'forbidden:area',
    ],
    ['district Ⅱ, 9 km: inside its district', user(), { ...WUJIN, level: 2, radiusM: 9_000 }, null],
    [
      'district Ⅱ, 10 km: reaches past its edge',
      user(),
      { ...WUJIN, level: 2, radiusM: 10_000 },
      'forbidden:area',
    ],
    ['district Ⅳ, 2 km: the level’s limit', user(), { ...WUJIN, level: 4, radiusM: 2_000 }, null],
    [
      'district Ⅳ, 2001 m: over the level’s limit',
      user(),
      { ...WUJIN, level: 4, radiusM: 2_001 },
      'invalid:incident_radius',
    ],
    ['district Ⅲ in another district', user(), { ...LIYANG, level: 3, radiusM: 100 }, 'forbidden:role'],
    [
      'district user without operator role',
      user({ roles: [] }),
      { ...WUJIN, level: 3, radiusM: 100 },
      'forbidden:role',
    ],
    [
      'an administrative department',
      user({ departmentKind: 'admin' }),
      { ...WUJIN, level: 3, radiusM: 100 },
      'forbidden:role',
    ],
    [
      'city Ⅲ, 5 km across districts, inside the city',
      cityEoc,
      { ...ZHONGLOU, level: 3, radiusM: 5_000 },
      null,
    ],
    [
      'city Ⅰ, 20 km reaching past the city',
      cityEoc,
      { ...WUJIN, level: 1, radiusM: 20_000 },
      'forbidden:area',
    ],
    [
      'city Ⅲ, 5 km reaching outside the city',
      cityEoc,
      { ...TIANNING, level: 3, radiusM: 5_000 },
      'forbidden:area',
    ],
    ['city Ⅳ outside the city', cityEoc, { ...SHANGHAI, level: 4, radiusM: 100 }, 'forbidden:area'],
    [
      'a unit (private owner)',
      user({ tier: 'unit', departmentKind: 'owner' }),
      { ...WUJIN, level: 4, radiusM: 100 },
      'forbidden:role',
    ],
  ] as const)('%s → %s', (_name, who, area, expected) => {
    expect(declarationRefusal(who, area, DEFAULT_RADIUS_LIMITS)?.code ?? null).toBe(expected);
  });
});

describe('confirmationRefusal: a second command user, in time', () => {
  const area = { ...WUJIN, level: 2, radiusM: 500 };
  const now = new Date('2026-12-08T00:10:00Z');
  const pending = {
    openedBy: 'declarer',
    confirmBy: new Date('2026-12-08T00:15:00Z'),
    confirmedAt: null,
    closedAt: null,
  };
  it.each([
    ['another operator of the district', user({ id: 'other' }), pending, null],
    ['a city operator (superior)', { ...cityEoc, id: 'chief' }, pending, null],
    ['the declarer', user({ id: 'declarer' }), pending, 'forbidden:same_person'],
    ['an operator of another district', user({ id: 'x', districtCode: '320481' }), pending, 'forbidden:role'],
    ['a viewer', user({ id: 'x', roles: ['viewer'] }), pending, 'forbidden:role'],
    ['after the deadline', user({ id: 'other' }), { ...pending, confirmBy: now }, 'conflict:lapsed'],
    ['twice', user({ id: 'other' }), { ...pending, confirmedAt: now }, 'conflict:confirmed'],
    ['a closed incident', user({ id: 'other' }), { ...pending, closedAt: now }, 'invalid:request'],
    [
      'a minor incident (no confirmation needed)',
      user({ id: 'other' }),
      { ...pending, confirmBy: null },
      'invalid:request',
    ],
  ] as const)('%s → %s', (_name, who, c, expected) => {
    expect(confirmationRefusal(who, area, c, now)?.code ?? null).toBe(expected);
  });
});

describe('mayReadIncident: who is shown an incident', () => {
  const inWujin = { ...WUJIN, radiusM: 500 };
  it.each([
    ['a city police operator', user({ tier: 'city', districtCode: null, departmentKind: 'police' }), true],
    ['an emergency user of the district', user(), true],
    ['an emergency user of another district', user({ districtCode: '320481' }), false],
    [
      'an auditor of any department',
      user({ tier: 'city', departmentKind: 'admin', roles: ['auditor'] }),
      true,
    ],
    ['an administrative department', user({ departmentKind: 'admin' }), false],
    ['a private owner', user({ tier: 'unit', departmentKind: 'owner', districtCode: null }), false],
    ['a sector regulator (city)', user({ tier: 'city', departmentKind: 'regulator' }), false],
  ] as const)('%s → %s', (_name, who, expected) => {
    expect(mayReadIncident(who, inWujin)).toBe(expected);
  });
});

describe('parseRadiusLimits', () => {
  it('reads every level once', () => {
    expect(parseRadiusLimits('1:30000, 2:15000,3:5000,4:2000')).toEqual({
      1: 30000,
      2: 15000,
      3: 5000,
      4: 2000,
    });
  });
  it.each([
    ['1:30000,2:15000,3:5000', /level 4 has no limit/],
    ['1:30000,1:2,3:5000,4:2000', /named twice/],
    ['1:0,2:15000,3:5000,4:2000', /1 to 100000/],
    ['1:200000,2:15000,3:5000,4:2000', /1 to 100000/],
    ['5:100,1:30000,2:15000,3:5000,4:2000', /expected level:metres/],
    ['', /expected level:metres/],
  ])('%j is refused', (text, message) => {
    expect(() => parseRadiusLimits(text)).toThrow(message);
  });
});
