import { DISTRICTS, type DistrictCode, type Grade } from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, districtAt } from '@wall/protocol/districts';
import * as gb from '@wall/protocol/gb28181';

/**
 * Which catalogue items are cameras, and the registry facts of one (pure; table-tested). A GB
 * catalogue mixes administrative regions (IDs of 2/4/6/8 digits), platforms (type 200), business
 * groups (215), virtual organisations (216), devices (DVR 111, NVR 118), alarm and audio
 * peripherals (133–137) and video channels: only the last become cameras.
 */

export type SkipReason = 'region' | 'not_a_channel' | 'not_video' | 'no_district' | 'bad_id';

export interface ChannelFacts {
  externalId: string;
  name: string;
  address: string | null;
  lon: number;
  lat: number;
  districtCode: DistrictCode;
  /** The grade this item asks for: the source's default, raised to 3 by `Secrecy` 1. */
  grade: Grade;
  /** The channel's own status (`Status` or a NOTIFY event); null when it says nothing. */
  sourceStatus: 'ON' | 'OFF' | null;
  /** `district` when the item had no usable coordinates and the district's centroid stands in. */
  locatedBy: 'item' | 'district';
}

export type ItemVerdict = { kind: 'camera'; channel: ChannelFacts } | { kind: 'skip'; reason: SkipReason };

/** Types 133–137: display, alarm input/output, audio input/output (no video). */
const NOT_VIDEO = new Set([133, 134, 135, 136, 137]);
const OUR_DISTRICTS = new Set<string>(DISTRICTS.map((d) => d.code));
/** `Secrecy` 1 (涉密) lifts a channel to at least grade 3 (sensitive sites). */
export const SECRECY_GRADE_FLOOR: Grade = 3;

export function channelKind(id: string): 'region' | 'channel' | 'not_a_channel' | 'not_video' | 'bad_id' {
  if (/^(\d{2}|\d{4}|\d{6}|\d{8})$/.test(id)) return 'region';
  if (!gb.isGbId(id)) return 'bad_id';
  const t = gb.gbIdType(id) as number;
  if (t < 131 || t > 199) return 'not_a_channel';
  if (NOT_VIDEO.has(t)) return 'not_video';
  return 'channel';
}

function centroid(code: DistrictCode): [number, number] | undefined {
  const f = CHANGZHOU_DISTRICTS.features.find((d) => String(d.properties.adcode) === code);
  return f?.properties.centroid;
}

const usable = (lon: number | undefined, lat: number | undefined): lon is number =>
  lon !== undefined && lat !== undefined && !(lon === 0 && lat === 0);

/** The registry facts of a catalogue item, or why it is not a camera we can file. */
export function classifyItem(item: gb.CatalogItem, defaultGrade: Grade): ItemVerdict {
  const kind = channelKind(item.deviceId);
  if (kind !== 'channel') return { kind: 'skip', reason: kind };
  const civil = item.civilCode?.slice(0, 6);
  const hasPoint = usable(item.longitude, item.latitude);
  let district: DistrictCode | undefined;
  if (civil && OUR_DISTRICTS.has(civil)) district = civil as DistrictCode;
  else if (hasPoint) district = districtAt(item.longitude as number, item.latitude as number);
  if (!district) return { kind: 'skip', reason: 'no_district' };
  let lon: number;
  let lat: number;
  let locatedBy: ChannelFacts['locatedBy'] = 'item';
  if (hasPoint) {
    lon = item.longitude as number;
    lat = item.latitude as number;
  } else {
    const c = centroid(district);
    if (!c) return { kind: 'skip', reason: 'no_district' };
    [lon, lat] = c;
    locatedBy = 'district';
  }
  const grade = Math.max(defaultGrade, item.secrecy === 1 ? SECRECY_GRADE_FLOOR : 1) as Grade;
  const name = (item.name ?? item.deviceId).trim().slice(0, 200) || item.deviceId;
  const address = item.address?.trim().slice(0, 300) || null;
  return {
    kind: 'camera',
    channel: {
      externalId: item.deviceId,
      name,
      address,
      lon,
      lat,
      districtCode: district,
      grade,
      sourceStatus: item.status ?? null,
      locatedBy,
    },
  };
}
