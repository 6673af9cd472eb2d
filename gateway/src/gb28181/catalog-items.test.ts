import { CHANGZHOU_DISTRICTS } from '@wall/protocol/districts';
import * as gb from '@wall/protocol/gb28181';
import { describe, expect, it } from 'vitest';
import { channelKind, classifyItem } from './catalog-items.ts';
import { ptzCommand } from './ptz.ts';
import { gbSettings } from './settings.ts';

const TIANNING = CHANGZHOU_DISTRICTS.features.find((f) => f.properties.adcode === 320402)?.properties
  .centroid ?? [0, 0];
// A point in 武进区 (its centroid).
const WUJIN = CHANGZHOU_DISTRICTS.features.find((f) => f.properties.adcode === 320412)?.properties
  .centroid ?? [0, 0];

describe('catalogue items: which are cameras', () => {
  it.each([
    ['32', 'region'],
    ['3204', 'region'],
    ['320402', 'region'],
    ['32040201', 'region'],
    ['32040200002000000001', 'not_a_channel'], // platform (200)
    ['32040200002150000001', 'not_a_channel'], // business group
    ['32040200002160000001', 'not_a_channel'], // virtual organisation
    ['32040200001180000001', 'not_a_channel'], // NVR
    ['32040200001110000001', 'not_a_channel'], // DVR
    ['32040200001340000001', 'not_video'], // alarm input
    ['32040200001370000001', 'not_video'], // audio output
    ['32040200001310000001', 'channel'], // camera
    ['32040200001320000001', 'channel'], // IPC
    ['32040200001990000001', 'channel'],
    ['3204020000131000000', 'bad_id'],
    ['abc', 'bad_id'],
  ])('%s → %s', (id, kind) => {
    expect(channelKind(id)).toBe(kind);
  });
});

describe('catalogue items: registry facts', () => {
  const base: gb.CatalogItem = {
    deviceId: '32040200001310000001',
    name: '红梅路口',
    civilCode: '320402',
    longitude: TIANNING[0],
    latitude: TIANNING[1],
    status: 'ON',
  };

  it('takes the district from CivilCode and the grade from the source default', () => {
    expect(classifyItem(base, 2)).toEqual({
      kind: 'camera',
      channel: {
        externalId: '32040200001310000001',
        name: '红梅路口',
        address: null,
        lon: TIANNING[0],
        lat: TIANNING[1],
        districtCode: '320402',
        grade: 2,
        sourceStatus: 'ON',
        locatedBy: 'item',
      },
    });
  });

  it('lifts Secrecy 1 to grade 3, never lowers a higher default', () => {
    expect(classifyItem({ ...base, secrecy: 1 }, 1)).toMatchObject({ channel: { grade: 3 } });
    expect(classifyItem({ ...base, secrecy: 1 }, 4)).toMatchObject({ channel: { grade: 4 } });
    expect(classifyItem({ ...base, secrecy: 0 }, 1)).toMatchObject({ channel: { grade: 1 } });
  });

  it('CivilCode wins over the point; a foreign CivilCode falls back to the point', () => {
    expect(classifyItem({ ...base, longitude: WUJIN[0], latitude: WUJIN[1] }, 1)).toMatchObject({
      channel: { districtCode: '320402' },
    });
    expect(
      classifyItem({ ...base, civilCode: '340200', longitude: WUJIN[0], latitude: WUJIN[1] }, 1),
    ).toMatchObject({ channel: { districtCode: '320412' } });
    // 8-digit civil codes (street level) use their first 6 digits.
    expect(classifyItem({ ...base, civilCode: '32040201' }, 1)).toMatchObject({
      channel: { districtCode: '320402' },
    });
  });

  it('without coordinates, a channel of one of our districts is placed at its centroid; else skipped', () => {
    const { longitude: _x, latitude: _y, ...noPoint } = base;
    expect(classifyItem(noPoint, 1)).toMatchObject({
      channel: { lon: TIANNING[0], lat: TIANNING[1], locatedBy: 'district' },
    });
    expect(classifyItem({ ...base, longitude: 0, latitude: 0 }, 1)).toMatchObject({
      channel: { locatedBy: 'district' },
    });
    expect(classifyItem({ ...noPoint, civilCode: '110101' }, 1)).toEqual({
      kind: 'skip',
      reason: 'no_district',
    });
    expect(classifyItem({ ...base, civilCode: undefined, longitude: 116.4, latitude: 39.9 }, 1)).toEqual({
      kind: 'skip',
      reason: 'no_district',
    });
  });

  it('names fall back to the ID; long texts are cut to the registry’s limits', () => {
    const { name: _n, ...noName } = base;
    expect(classifyItem(noName, 1)).toMatchObject({ channel: { name: '32040200001310000001' } });
    expect(classifyItem({ ...base, name: 'x'.repeat(250), address: 'y'.repeat(256) }, 1)).toMatchObject({
      channel: { name: 'x'.repeat(200), address: 'y'.repeat(256) },
    });
  });
});

describe('PTZ commands', () => {
  it.each([
    ['left', 100, 'A50F01026400001B'],
    ['right', 128, 'A50F010180000036'],
    ['up', 64, 'A50F0108004000FD'],
    ['down', 64, 'A50F0104004000F9'],
    ['zoom_in', 255, 'A50F01100000F0B5'],
    ['zoom_out', 17, 'A50F0120000010E5'],
    ['stop', undefined, 'A50F0100000000B5'],
  ] as const)('%s (speed %s) → %s', (command, speed, hex) => {
    const cmd = ptzCommand(command, speed);
    expect(gb.encodePtzCmd(cmd)).toBe(hex);
    // The checksum is the sum of the first 7 bytes mod 256.
    const bytes = hex.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? [];
    expect(bytes.slice(0, 7).reduce((a, b) => a + b, 0) % 256).toBe(bytes[7]);
  });
});

describe('source settings', () => {
  it('reads the catalogue defaults, ignores what does not parse, refuses Art. 9 location kinds', () => {
    expect(
      gbSettings({
        deviceId: '32040200002000000001',
        defaultGrade: 2,
        siteCategory: 'transport',
        locationKind: 'intersection',
        trusted: true,
        mediaTransport: 'udp',
        flowBinding: 'same-address',
      }),
    ).toEqual({
      deviceId: '32040200002000000001',
      defaultGrade: 2,
      siteCategory: 'transport',
      locationKind: 'intersection',
      trusted: true,
      mediaTransport: 'udp',
      flowBinding: 'same-address',
    });
    expect(
      gbSettings({
        deviceId: '32040200002000000001',
        defaultGrade: 9,
        locationKind: 'toilet',
        trusted: 'yes',
        flowBinding: 'any',
      }),
    ).toEqual({
      deviceId: '32040200002000000001',
      defaultGrade: 1,
      siteCategory: 'other_designated',
      locationKind: 'road',
      trusted: false,
      mediaTransport: undefined,
      flowBinding: 'strict',
    });
    expect(gbSettings({ baseUrl: 'rtsp://x' })).toBeUndefined();
  });
});
