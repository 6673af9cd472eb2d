import { z } from 'zod';

/** Changzhou (adcode 320400) districts and county-level city. */
export const DISTRICTS = [
  { code: '320402', name: '天宁区', nameEn: 'Tianning' },
  { code: '320404', name: '钟楼区', nameEn: 'Zhonglou' },
  { code: '320411', name: '新北区', nameEn: 'Xinbei' },
  { code: '320412', name: '武进区', nameEn: 'Wujin' },
  { code: '320413', name: '金坛区', nameEn: 'Jintan' },
  { code: '320481', name: '溧阳市', nameEn: 'Liyang' },
] as const;
export type DistrictCode = (typeof DISTRICTS)[number]['code'];
export const districtCodeSchema = z.enum(DISTRICTS.map((d) => d.code) as [DistrictCode, ...DistrictCode[]]);

export const tierSchema = z.enum(['city', 'district', 'unit']);
export type Tier = z.infer<typeof tierSchema>;

export const departmentKindSchema = z.enum([
  'police',
  'emergency',
  'state_security',
  'regulator',
  'admin',
  'owner',
]);
export type DepartmentKind = z.infer<typeof departmentKindSchema>;

export const fundingSchema = z.enum(['government', 'private']);
export type Funding = z.infer<typeof fundingSchema>;

export const sourceKindSchema = z.enum(['gb28181', 'rtsp', 'onvif']);
export type SourceKind = z.infer<typeof sourceKindSchema>;

/** Security grade of a camera and clearance of a user: 1 (public places) … 4 (secret sites). */
export const gradeSchema = z.number().int().min(1).max(4);
export type Grade = 1 | 2 | 3 | 4;

/** The twelve kinds of site of Art. 7 that must be covered by public-security video. */
export const SITE_CATEGORIES = [
  { code: 'hazardous_materials', article: '7(1)', name: '武器弹药及危险物品场所' },
  { code: 'classified_archives', article: '7(2)', name: '国家机密档案资料场所' },
  { code: 'cultural_heritage', article: '7(3)', name: '博物馆、纪念馆及重点文物' },
  { code: 'financial_vaults', article: '7(4)', name: '金融单位贵重物品存放场所' },
  { code: 'broadcast_telecom', article: '7(5)', name: '广播电视、电信邮政及通信枢纽' },
  { code: 'energy_water', article: '7(6)', name: '能源动力、供水供电供气及水利工程' },
  { code: 'transport', article: '7(7)', name: '机场港口车站、道路路口隧道桥梁' },
  { code: 'strategic_reserves', article: '7(8)', name: '物资储备、油库、人防及化工企业' },
  { code: 'hospitality_entertainment', article: '7(9)', name: '宾馆旅馆、娱乐及上网服务场所' },
  { code: 'public_gathering', article: '7(10)', name: '商贸、体育、公园、医院、学校等聚集场所' },
  { code: 'public_transport_vehicles', article: '7(11)', name: '公共交通工具' },
  { code: 'other_designated', article: '7(12)', name: '政府确定的其他场所' },
] as const;
export type SiteCategory = (typeof SITE_CATEGORIES)[number]['code'];
export const siteCategorySchema = z.enum(
  SITE_CATEGORIES.map((c) => c.code) as [SiteCategory, ...SiteCategory[]],
);

/** Art. 9: places where installing a camera is forbidden. Registration of these is refused. */
export const PRIVATE_SPACE_KINDS = [
  'dormitory',
  'hotel_guest_room',
  'bathhouse',
  'changing_room',
  'toilet',
] as const;

export const locationKindSchema = z.enum([
  'road',
  'intersection',
  'square',
  'entrance',
  'perimeter',
  'hall',
  'corridor',
  'elevator',
  'vault',
  'control_room',
  'platform',
  'vehicle',
  ...PRIVATE_SPACE_KINDS,
]);
export type LocationKind = z.infer<typeof locationKindSchema>;

export function isPrivateSpace(kind: LocationKind): boolean {
  return (PRIVATE_SPACE_KINDS as readonly string[]).includes(kind);
}

/** registered → accepted (Art. 14) → in_service → removed. */
export const cameraStateSchema = z.enum(['registered', 'accepted', 'in_service', 'removed']);
export type CameraState = z.infer<typeof cameraStateSchema>;

export const streamProfileSchema = z.enum(['main', 'sub']);
export type StreamProfile = z.infer<typeof streamProfileSchema>;

export const lonLatSchema = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
