import { DISTRICTS, isPrivateSpace, SITE_CATEGORIES } from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, inMultiPolygon } from '@wall/protocol/districts';
import { describe, expect, it } from 'vitest';
import { generateDemoData } from './generate.ts';

describe('demo data for Changzhou', () => {
  const data = generateDemoData();

  it('has at least 300 cameras, each inside the polygon of its own district', () => {
    expect(data.cameras.length).toBeGreaterThanOrEqual(300);
    for (const c of data.cameras) {
      const f = CHANGZHOU_DISTRICTS.features.find((d) => String(d.properties.adcode) === c.districtCode);
      expect(f, c.districtCode).toBeDefined();
      expect(inMultiPolygon(f?.geometry.coordinates ?? [], c.lon, c.lat), c.name).toBe(true);
    }
  });

  it('covers all 12 site categories of Art. 7 and all six districts', () => {
    expect(new Set(data.cameras.map((c) => c.siteCategory))).toEqual(
      new Set(SITE_CATEGORIES.map((c) => c.code)),
    );
    expect(new Set(data.cameras.map((c) => c.districtCode))).toEqual(new Set(DISTRICTS.map((d) => d.code)));
  });

  it('has organisations of every tier and department kind', () => {
    expect(new Set(data.orgs.map((o) => o.tier))).toEqual(new Set(['city', 'district', 'unit']));
    expect(new Set(data.orgs.map((o) => o.departmentKind))).toEqual(
      new Set(['police', 'emergency', 'state_security', 'regulator', 'admin', 'owner']),
    );
  });

  it('never places a camera in a private space (Art. 9) and keeps grades in 1–4', () => {
    for (const c of data.cameras) {
      expect(isPrivateSpace(c.locationKind)).toBe(false);
      expect([1, 2, 3, 4]).toContain(c.grade);
    }
  });

  it('makes the first cameras the simulated, in-service ones with cam01… ids', () => {
    const sim = data.cameras.filter((c) => c.sourceKey === 'sim');
    expect(sim.map((c) => c.externalId)).toEqual([
      'cam01',
      'cam02',
      'cam03',
      'cam04',
      'cam05',
      'cam06',
      'cam07',
      'cam08',
    ]);
    expect(sim.every((c) => c.state === 'in_service')).toBe(true);
  });

  it('has both government- and private-funded sources with cameras', () => {
    const funding = new Map(data.sources.map((s) => [s.key, s.funding]));
    const used = new Set(data.cameras.map((c) => funding.get(c.sourceKey)));
    expect(used).toEqual(new Set(['government', 'private']));
  });

  it('is deterministic for a seed and unique per source', () => {
    expect(generateDemoData()).toEqual(data);
    const keys = data.cameras.map((c) => `${c.sourceKey}/${c.externalId}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(data.users.map((u) => u.username)).size).toBe(data.users.length);
  });
});
