import { describe, expect, it } from 'vitest';
import {
  CAMERA_TRANSITIONS,
  cameraCreateSchema,
  cameraSearchQuerySchema,
  cameraUpdateSchema,
  canTransition,
  parseSourceConnection,
  sourceCreateSchema,
  sourceSecretSchema,
} from './registry.ts';

const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  r.error?.issues.map((i) => i.path.join('.')) ?? [];

describe('registry contracts', () => {
  it.each([
    ['registered', 'accepted', true],
    ['accepted', 'in_service', true],
    ['registered', 'in_service', false],
    ['in_service', 'accepted', false],
    ['accepted', 'registered', false],
    ['registered', 'removed', true],
    ['in_service', 'removed', true],
    ['removed', 'registered', false],
    ['removed', 'in_service', false],
  ] as const)('lifecycle %s → %s: %s', (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok);
  });

  it('makes removal final', () => {
    expect(CAMERA_TRANSITIONS.removed).toEqual([]);
  });

  it.each([
    ['near=119.9,31.7&radiusM=2000', { near: [119.9, 31.7], radiusM: 2000, limit: 100 }],
    ['bbox=119.1,31.1,120.2,32.1&limit=500', { bbox: [119.1, 31.1, 120.2, 32.1], limit: 500 }],
    ['category=transport&category=energy_water', { category: ['transport', 'energy_water'], limit: 100 }],
    [
      'category=transport,energy_water&grade=1,2',
      { category: ['transport', 'energy_water'], grade: [1, 2], limit: 100 },
    ],
    ['state=removed&q=%20%E5%A4%A9%E5%AE%81%20', { state: ['removed'], q: '天宁', limit: 100 }],
    ['q=%20%20', { limit: 100 }],
  ])('parses %s', (query, want) => {
    const raw: Record<string, string | string[]> = {};
    new URLSearchParams(query).forEach((v, k) => {
      const had = raw[k];
      raw[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    });
    const r = cameraSearchQuerySchema.safeParse(raw);
    expect(r.success && r.data).toEqual(want);
  });

  it.each([
    [{ near: '119.9,31.7' }, ['radiusM']],
    [{ radiusM: '10' }, ['radiusM']],
    [{ near: '119.9,31.7', radiusM: '50001' }, ['radiusM']],
    [{ near: '119.9', radiusM: '5' }, ['near']],
    [{ near: '1e999,31', radiusM: '5' }, ['near']],
    [{ bbox: '120,31,119,32' }, ['bbox']],
    [{ bbox: '0,0,0,0,0' }, ['bbox']],
    [{ bbox: '0x10,0,1,1' }, ['bbox']],
    [{ limit: '0' }, ['limit']],
    [{ limit: '501' }, ['limit']],
    [{ grade: '0' }, ['grade.0']],
    [{ state: 'gone' }, ['state.0']],
    [{ district: '320400' }, ['district']],
    [{ q: 'x'.repeat(101) }, ['q']],
    [{ page: '2' }, ['']],
  ])('refuses %j', (raw, bad) => {
    expect(paths(cameraSearchQuerySchema.safeParse(raw))).toEqual(bad);
  });

  it('validates a camera and refuses unknown keys and half a move', () => {
    const ok = cameraCreateSchema.safeParse({
      sourceId: 'A0000000-0000-4000-8000-000000000000',
      externalId: '32040200001310000001',
      name: ' 路口 ',
      lon: 119.9,
      lat: 31.7,
      category: 'transport',
      locationKind: 'toilet',
      grade: 1,
    });
    expect(ok.success && ok.data).toMatchObject({
      sourceId: 'a0000000-0000-4000-8000-000000000000',
      name: '路口',
      locationKind: 'toilet', // refused later, as refused:private_space, not as a malformed body
      profiles: {},
    });
    expect(
      paths(cameraCreateSchema.safeParse({ lon: 181, lat: -91, grade: 0, state: 'in_service' })),
    ).toEqual(expect.arrayContaining(['lon', 'lat', 'grade', 'sourceId', 'name', '']));
    expect(paths(cameraUpdateSchema.safeParse({ lon: 120 }))).toEqual(['lon']);
    expect(paths(cameraUpdateSchema.safeParse({}))).toEqual(['']);
    expect(
      paths(cameraCreateSchema.safeParse({ profiles: { main: { path: '/a', url: 'rtsp://h/a' } } })),
    ).toContain('profiles.main');
  });

  it('keeps credentials out of connection URLs and checks connections by kind', () => {
    const base = { name: 's', ownerOrgId: 'a0000000-0000-4000-8000-000000000000', funding: 'private' };
    for (const url of [
      'rtsp://u:p@nvr.test',
      'rtsp://u@nvr.test/a',
      'rtsp://nvr test',
      'http://nvr.test',
      'rtsp://nvr.test/a@b',
    ]) {
      const r = sourceCreateSchema.safeParse({ ...base, kind: 'rtsp', connection: { baseUrl: url } });
      expect(paths(r), url).toEqual(['connection.baseUrl']);
    }
    for (const url of [
      'rtsp://nvr.test',
      'rtsps://10.0.0.5:322/Streaming/Channels/101?transportmode=unicast',
      'rtsp://[fe80::1]:554',
    ]) {
      expect(
        sourceCreateSchema.safeParse({ ...base, kind: 'rtsp', connection: { baseUrl: url } }).success,
        url,
      ).toBe(true);
    }
    expect(parseSourceConnection('gb28181', { deviceId: '32040200002000000001', port: 5060 }).success).toBe(
      true,
    );
    expect(parseSourceConnection('gb28181', { baseUrl: 'rtsp://x' }).success).toBe(false);
    for (const flowBinding of ['strict', 'same-address']) {
      expect(
        parseSourceConnection('gb28181', { deviceId: '32040200002000000001', flowBinding }).success,
        flowBinding,
      ).toBe(true);
    }
    expect(
      paths(parseSourceConnection('gb28181', { deviceId: '32040200002000000001', flowBinding: 'any-port' })),
    ).toEqual(['flowBinding']);
    expect(paths(sourceSecretSchema.safeParse({}))).toEqual(['']);
    expect(paths(sourceSecretSchema.safeParse({ password: 'x', token: 'y' }))).toEqual(['']);
  });
});
