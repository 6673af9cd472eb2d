import { DISTRICTS, type DistrictCode } from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, districtBounds, inMultiPolygon } from '@wall/protocol/districts';
import type * as gb from '@wall/protocol/gb28181';

const ROADS = [
  '红梅路',
  '延陵东路',
  '和平北路',
  '局前街',
  '博爱路',
  '关河东路',
  '青洋北路',
  '竹林北路',
  '中吴大道',
  '劳动东路',
  '光华路',
  '东方东路',
];

/** A simulated channel (a camera of the simulated device or platform). */
export interface SimChannel {
  id: string;
  name: string;
  index: number;
}

/** Channel `i` (1-based) of a device: its domain, type 131 (camera), the device's network digit, serial i. */
export function channelId(deviceId: string, i: number): string {
  return `${deviceId.slice(0, 10)}131${deviceId.slice(13, 14)}${String(i).padStart(6, '0')}`;
}

/** A deterministic point inside the district's polygon (the `n`th of a fixed sequence). */
export function pointIn(code: DistrictCode, n: number): [number, number] {
  const f = CHANGZHOU_DISTRICTS.features.find((d) => String(d.properties.adcode) === code);
  if (!f) throw new Error(`unknown district ${code}`);
  const [minX, minY, maxX, maxY] = districtBounds(code);
  let seed = (n + 1) * 2654435761;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let k = 0; k < 10_000; k++) {
    const lon = Math.round((minX + next() * (maxX - minX)) * 1e6) / 1e6;
    const lat = Math.round((minY + next() * (maxY - minY)) * 1e6) / 1e6;
    if (inMultiPolygon(f.geometry.coordinates, lon, lat)) return [lon, lat];
  }
  return f.properties.centroid;
}

/**
 * The catalogue the simulated device answers: its administrative region, a business group, and
 * `count` cameras with Chinese names and coordinates inside the district of `civilCode` (天宁区 when
 * the code is not one of ours); the second camera (or the only one) is marked `Secrecy` 1.
 */
export function catalogItems(args: { deviceId: string; count: number; civilCode: string }): {
  items: gb.CatalogItem[];
  channels: SimChannel[];
} {
  const code = (DISTRICTS.find((d) => d.code === args.civilCode.slice(0, 6))?.code ??
    '320402') as DistrictCode;
  const districtName = DISTRICTS.find((d) => d.code === code)?.name ?? '天宁区';
  const items: gb.CatalogItem[] = [];
  const channels: SimChannel[] = [];
  if (args.count > 0) {
    items.push({ deviceId: args.civilCode.slice(0, 6), name: districtName });
    items.push({
      deviceId: `${args.deviceId.slice(0, 10)}2150000001`,
      name: `${districtName}视频专网`,
      parentId: args.deviceId,
    });
  }
  const secret = args.count >= 2 ? 2 : 1;
  for (let i = 1; i <= args.count; i++) {
    const id = channelId(args.deviceId, i);
    const road = ROADS[(i - 1) % ROADS.length] as string;
    const name = `${districtName}${road}路口${i > ROADS.length ? `-${i}` : ''}`;
    const [longitude, latitude] = pointIn(code, i);
    channels.push({ id, name, index: i });
    items.push({
      deviceId: id,
      name,
      manufacturer: 'Wall',
      model: 'GB-SIM',
      owner: 'Owner',
      civilCode: args.civilCode,
      address: `江苏省常州市${districtName}${road}`,
      parental: 0,
      parentId: args.deviceId,
      safetyWay: 0,
      registerWay: 1,
      secrecy: i === secret ? 1 : 0,
      status: 'ON',
      longitude,
      latitude,
      ptzType: i === 1 ? 1 : 3,
    });
  }
  return { items, channels };
}
