import {
  type DepartmentKind,
  DISTRICTS,
  type DistrictCode,
  type Funding,
  type Grade,
  type LocationKind,
  SITE_CATEGORIES,
  type SiteCategory,
  type Tier,
} from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, districtBounds, inMultiPolygon } from '@wall/protocol/districts';

/** The demo data set for Changzhou: pure and deterministic for a given seed. */
export interface DemoOrg {
  key: string;
  name: string;
  tier: Tier;
  districtCode: DistrictCode | null;
  departmentKind: DepartmentKind;
  sector: string | null;
}
export interface DemoUser {
  username: string;
  displayName: string;
  orgKey: string;
  roles: string[];
  clearance: Grade;
  workId: string;
  countyPoliceCertificate: boolean;
  description: string;
}
export interface DemoSource {
  key: string;
  name: string;
  ownerOrgKey: string;
  funding: Funding;
  /** The source with live video: its cameras are served by the simulated RTSP server. */
  simulated: boolean;
}
export interface DemoCamera {
  sourceKey: string;
  externalId: string;
  name: string;
  lon: number;
  lat: number;
  districtCode: DistrictCode;
  siteCategory: SiteCategory;
  locationKind: LocationKind;
  grade: Grade;
  state: 'registered' | 'accepted' | 'in_service' | 'removed';
  installer: string;
}
export interface DemoData {
  orgs: DemoOrg[];
  users: DemoUser[];
  sources: DemoSource[];
  cameras: DemoCamera[];
}

/** mulberry32: a small seeded PRNG, so the demo city looks the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORY_PROFILE: Record<SiteCategory, { grades: Grade[]; kinds: LocationKind[]; label: string }> = {
  hazardous_materials: { grades: [3, 4], kinds: ['perimeter', 'entrance', 'vault'], label: '危化品仓库' },
  classified_archives: { grades: [4], kinds: ['vault', 'entrance'], label: '档案馆' },
  cultural_heritage: { grades: [2, 3], kinds: ['hall', 'entrance', 'perimeter'], label: '博物馆' },
  financial_vaults: { grades: [3], kinds: ['vault', 'hall', 'entrance'], label: '银行网点' },
  broadcast_telecom: { grades: [2, 3], kinds: ['control_room', 'entrance'], label: '通信枢纽' },
  energy_water: { grades: [3], kinds: ['perimeter', 'control_room', 'entrance'], label: '水厂' },
  transport: { grades: [1], kinds: ['road', 'intersection', 'platform'], label: '路口' },
  strategic_reserves: { grades: [3, 4], kinds: ['perimeter', 'entrance'], label: '油库' },
  hospitality_entertainment: {
    grades: [2],
    kinds: ['hall', 'corridor', 'elevator', 'entrance'],
    label: '宾馆',
  },
  public_gathering: { grades: [1, 2], kinds: ['square', 'entrance', 'hall'], label: '广场' },
  public_transport_vehicles: { grades: [1, 2], kinds: ['vehicle', 'platform'], label: '公交' },
  other_designated: { grades: [1, 2], kinds: ['road', 'entrance', 'square'], label: '重点区域' },
};

/** Private units own systems in these categories (banks, hotels, malls); the rest are government. */
const PRIVATE_CATEGORIES: SiteCategory[] = [
  'financial_vaults',
  'hospitality_entertainment',
  'public_gathering',
];

export function generateDemoData(
  options: { cameraCount?: number; simulatedCameras?: number; seed?: number } = {},
): DemoData {
  const cameraCount = options.cameraCount ?? 324;
  const simulated = options.simulatedCameras ?? 8;
  const rnd = prng(options.seed ?? 320400);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

  const orgs: DemoOrg[] = [
    {
      key: 'city-police',
      name: '常州市公安局',
      tier: 'city',
      districtCode: null,
      departmentKind: 'police',
      sector: null,
    },
    {
      key: 'city-eoc',
      name: '常州市应急管理局指挥中心',
      tier: 'city',
      districtCode: null,
      departmentKind: 'emergency',
      sector: null,
    },
    {
      key: 'city-state-security',
      name: '常州市国家安全局',
      tier: 'city',
      districtCode: null,
      departmentKind: 'state_security',
      sector: null,
    },
    {
      key: 'city-transport',
      name: '常州市交通运输局',
      tier: 'city',
      districtCode: null,
      departmentKind: 'regulator',
      sector: 'transport',
    },
    {
      key: 'city-urban-mgmt',
      name: '常州市城市管理局',
      tier: 'city',
      districtCode: null,
      departmentKind: 'admin',
      sector: null,
    },
    {
      key: 'city-registry',
      name: '常州市公共安全视频系统登记办公室',
      tier: 'city',
      districtCode: null,
      departmentKind: 'admin',
      sector: null,
    },
    {
      key: 'city-audit',
      name: '常州市公共安全视频系统审计室',
      tier: 'city',
      districtCode: null,
      departmentKind: 'admin',
      sector: null,
    },
    {
      key: 'admin-320402',
      name: '天宁区城市管理局',
      tier: 'district',
      districtCode: '320402',
      departmentKind: 'admin',
      sector: null,
    },
  ];
  for (const d of DISTRICTS) {
    const police = d.code === '320481' ? '溧阳市公安局' : `常州市公安局${d.name}分局`;
    orgs.push({
      key: `police-${d.code}`,
      name: police,
      tier: 'district',
      districtCode: d.code,
      departmentKind: 'police',
      sector: null,
    });
    orgs.push({
      key: `eoc-${d.code}`,
      name: `${d.name}应急管理局`,
      tier: 'district',
      districtCode: d.code,
      departmentKind: 'emergency',
      sector: null,
    });
  }
  const units = [
    { key: 'unit-bank', name: '江南农村商业银行天宁支行', district: '320402', label: '银行' },
    { key: 'unit-hotel', name: '钟楼大酒店', district: '320404', label: '酒店' },
    { key: 'unit-mall', name: '新北万达广场', district: '320411', label: '商场' },
    { key: 'unit-school', name: '武进实验学校', district: '320412', label: '学校' },
  ] as const;
  for (const u of units) {
    orgs.push({
      key: u.key,
      name: u.name,
      tier: 'unit',
      districtCode: u.district,
      departmentKind: 'owner',
      sector: null,
    });
  }

  const users: DemoUser[] = [
    {
      username: 'eoc.operator',
      displayName: '市应急指挥中心值班员',
      orgKey: 'city-eoc',
      roles: ['operator'],
      clearance: 3,
      workId: 'EOC-0001',
      countyPoliceCertificate: false,
      description: 'city emergency-command operator, clearance 3',
    },
    {
      username: 'police.dispatcher',
      displayName: '市局110接警员',
      orgKey: 'city-police',
      roles: ['operator'],
      clearance: 3,
      workId: 'JH-110-0007',
      countyPoliceCertificate: true,
      description: 'city police dispatcher, clearance 3, county-level certificate',
    },
    {
      username: 'police.chief',
      displayName: '市局视频侦查支队负责人',
      orgKey: 'city-police',
      roles: ['approver'],
      clearance: 4,
      workId: 'JH-0001',
      countyPoliceCertificate: true,
      description: 'county-level police approver, clearance 4',
    },
    {
      username: 'admin',
      displayName: '视频系统登记管理员',
      orgKey: 'city-registry',
      roles: ['registry_admin'],
      clearance: 1,
      workId: 'DJ-0001',
      countyPoliceCertificate: false,
      description: 'registry administrator (cameras, sources), no video',
    },
    {
      username: 'auditor',
      displayName: '视频系统审计员',
      orgKey: 'city-audit',
      roles: ['auditor'],
      clearance: 1,
      workId: 'SJ-0002',
      countyPoliceCertificate: false,
      description: 'audit log reader, no video',
    },
    {
      username: 'tianning.staff',
      displayName: '天宁区城市管理局工作人员',
      orgKey: 'admin-320402',
      roles: ['viewer'],
      clearance: 2,
      workId: 'TN-0012',
      countyPoliceCertificate: false,
      description: '天宁区 administrative department, district tier, clearance 2 (live by the viewer role)',
    },
    {
      username: 'wujin.police',
      displayName: '武进分局民警',
      orgKey: 'police-320412',
      roles: ['operator'],
      clearance: 3,
      workId: 'WJ-0345',
      countyPoliceCertificate: true,
      description: '武进区 district police, clearance 3',
    },
    {
      username: 'wujin.eoc',
      displayName: '武进区应急管理局值班员',
      orgKey: 'eoc-320412',
      roles: ['operator'],
      clearance: 2,
      workId: 'WJ-EOC-0101',
      countyPoliceCertificate: false,
      description: '武进区 emergency, district tier, clearance 2',
    },
    {
      username: 'transport.regulator',
      displayName: '市交通运输局监管员',
      orgKey: 'city-transport',
      roles: [],
      clearance: 2,
      workId: 'JT-0020',
      countyPoliceCertificate: false,
      description: 'transport regulator (catalogue only)',
    },
    {
      username: 'urban.admin',
      displayName: '市城管局工作人员',
      orgKey: 'city-urban-mgmt',
      roles: [],
      clearance: 1,
      workId: 'CG-0031',
      countyPoliceCertificate: false,
      description: 'other administrative department (asks for retrievals on an approval, R-RET-2)',
    },
    {
      username: 'urban.clerk',
      displayName: '市城管局执法队员',
      orgKey: 'city-urban-mgmt',
      roles: [],
      clearance: 1,
      workId: 'CG-0047',
      countyPoliceCertificate: false,
      description: 'second user of the urban administration (retrieval requests need two staff, Art. 22)',
    },
    {
      username: 'bank.owner',
      displayName: '银行安保主管',
      orgKey: 'unit-bank',
      roles: ['owner'],
      clearance: 3,
      workId: 'BANK-01',
      countyPoliceCertificate: false,
      description: 'private unit (bank) owner',
    },
    {
      username: 'hotel.owner',
      displayName: '酒店安保主管',
      orgKey: 'unit-hotel',
      roles: ['owner'],
      clearance: 2,
      workId: 'HOTEL-01',
      countyPoliceCertificate: false,
      description: 'private unit (hotel) owner',
    },
  ];

  const sources: DemoSource[] = [
    {
      key: 'sim',
      name: '市局视频专网模拟摄像机',
      ownerOrgKey: 'city-police',
      funding: 'government',
      simulated: true,
    },
  ];
  for (const d of DISTRICTS) {
    sources.push({
      key: `nvr-${d.code}`,
      name: `${d.name}社会治安监控平台`,
      ownerOrgKey: `police-${d.code}`,
      funding: 'government',
      simulated: false,
    });
  }
  for (const u of units) {
    sources.push({
      key: `${u.key}-nvr`,
      name: `${u.name}${u.label}监控系统`,
      ownerOrgKey: u.key,
      funding: 'private',
      simulated: false,
    });
  }

  const polygons = new Map(
    CHANGZHOU_DISTRICTS.features.map((f) => [String(f.properties.adcode), f.geometry.coordinates]),
  );
  const pointIn = (code: DistrictCode): [number, number] => {
    const [minX, minY, maxX, maxY] = districtBounds(code);
    const poly = polygons.get(code) ?? [];
    for (let i = 0; i < 10_000; i++) {
      const lon = minX + rnd() * (maxX - minX);
      const lat = minY + rnd() * (maxY - minY);
      if (inMultiPolygon(poly, lon, lat)) return [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6];
    }
    throw new Error(`no point found in district ${code}`);
  };

  const cameras: DemoCamera[] = [];
  const counters = new Map<string, number>();
  for (let i = 0; i < cameraCount; i++) {
    const category = SITE_CATEGORIES[i % SITE_CATEGORIES.length]?.code ?? 'transport';
    const isSim = i < simulated;
    // Simulated cameras are government road cameras in central Tianning/Zhonglou (visible at once on the map).
    const district: DistrictCode = isSim ? (i % 2 === 0 ? '320402' : '320404') : pick(DISTRICTS).code;
    const unit = units.find((u) => u.district === district);
    const privateOwned = !isSim && unit !== undefined && PRIVATE_CATEGORIES.includes(category) && rnd() < 0.6;
    const sourceKey = isSim ? 'sim' : privateOwned && unit ? `${unit.key}-nvr` : `nvr-${district}`;
    const profile = CATEGORY_PROFILE[isSim ? 'transport' : category];
    const n = (counters.get(sourceKey) ?? 0) + 1;
    counters.set(sourceKey, n);
    const [lon, lat] = pointIn(district);
    const dName = DISTRICTS.find((d) => d.code === district)?.name ?? district;
    const stateRoll = rnd();
    cameras.push({
      sourceKey,
      externalId: isSim
        ? `cam${String(i + 1).padStart(2, '0')}`
        : `${sourceKey}-${String(n).padStart(4, '0')}`,
      name: `${dName}${isSim ? '模拟路口' : profile.label}${String(n).padStart(3, '0')}`,
      lon,
      lat,
      districtCode: district,
      siteCategory: isSim ? 'transport' : category,
      locationKind: pick(profile.kinds),
      grade: pick(profile.grades),
      state: isSim
        ? 'in_service'
        : stateRoll < 0.85
          ? 'in_service'
          : stateRoll < 0.93
            ? 'accepted'
            : stateRoll < 0.98
              ? 'registered'
              : 'removed',
      installer: pick(['常州安防工程有限公司', '江苏视安科技', '武进智能系统集成']),
    });
  }
  // Every Art. 7 category is represented even when the simulated cameras take the first slots.
  return { orgs, users, sources, cameras };
}
