import { DISTRICTS, type Grade, MAP_CATEGORIES, MAP_STATES } from '@wall/protocol';
import type { Lang } from '../../lib/i18n';
import type { CameraMapData, MapCamera, MapStatus } from './types';

/** The camera at index `i` of the map data as a plain object (`name` when known). */
export function cameraAt(data: CameraMapData, i: number, name?: string): MapCamera | undefined {
  const id = data.ids[i];
  if (id === undefined) return undefined;
  return {
    id,
    name,
    lon: data.lon[i] ?? 0,
    lat: data.lat[i] ?? 0,
    districtCode: DISTRICTS[data.district[i] ?? 0]?.code ?? '320402',
    category: MAP_CATEGORIES[data.category[i] ?? 0] ?? 'other_designated',
    grade: (data.grade[i] ?? 1) as Grade,
    state: MAP_STATES[data.state[i] ?? 0] ?? 'registered',
    private: data.private[i] === 1,
    emergency: data.emergency[i] === 1,
  };
}

export function findCamera(
  data: CameraMapData | undefined,
  id: string,
  name?: string,
): MapCamera | undefined {
  const i = data?.indexOf.get(id);
  return data && i !== undefined ? cameraAt(data, i, name) : undefined;
}

/** A short label: the name when known, else the district and the id's first characters. */
export function cameraLabel(
  camera: Pick<MapCamera, 'id' | 'name'> & { districtCode?: string },
  lang: Lang = 'zh',
): string {
  if (camera.name) return camera.name;
  const d = DISTRICTS.find((x) => x.code === camera.districtCode);
  const where = d ? (lang === 'en' ? d.nameEn : d.name) : '';
  return `${where}${where ? ' ' : ''}${lang === 'en' ? 'camera' : '摄像机'} ${camera.id.slice(0, 8)}`;
}

export function districtName(code: string, lang: Lang): string {
  const d = DISTRICTS.find((x) => x.code === code);
  return d ? (lang === 'en' ? d.nameEn : d.name) : code;
}

/** Colours of the live stream states on the map and in overlays. */
export const STATUS_COLORS: Readonly<Record<MapStatus, string>> = {
  live: '#3fb950',
  starting: '#d29922',
  stalled: '#f0883e',
  offline: '#f85149',
  none: '#58a6ff',
};

/** Grade 1 (public places) … 4 (secret sites): ring colour and label. */
export const GRADE_COLORS: Readonly<Record<Grade, string>> = {
  1: '#8b949e',
  2: '#58a6ff',
  3: '#d2a8ff',
  4: '#ff7b72',
};

const GRADE_LABELS: Record<Lang, Record<Grade, string>> = {
  zh: { 1: '一级', 2: '二级', 3: '三级', 4: '四级' },
  en: { 1: 'Grade 1', 2: 'Grade 2', 3: 'Grade 3', 4: 'Grade 4' },
};

export function gradeLabel(grade: Grade, lang: Lang): string {
  return GRADE_LABELS[lang][grade];
}

const STATUS_LABELS: Record<Lang, Record<MapStatus, string>> = {
  zh: { live: '直播中', starting: '启动中', stalled: '卡顿', offline: '离线', none: '未在播' },
  en: { live: 'live', starting: 'starting', stalled: 'stalled', offline: 'offline', none: 'not streaming' },
};

export function statusLabel(status: MapStatus, lang: Lang): string {
  return STATUS_LABELS[lang][status];
}

const LIFECYCLE_LABELS: Record<Lang, Record<string, string>> = {
  zh: { registered: '已登记', accepted: '已验收', in_service: '在用', removed: '已撤除' },
  en: { registered: 'registered', accepted: 'accepted', in_service: 'in service', removed: 'removed' },
};

export function lifecycleLabel(state: string, lang: Lang): string {
  return LIFECYCLE_LABELS[lang][state] ?? state;
}

/** Incident level Ⅰ … Ⅳ (1 = especially major): fill colour. */
export const INCIDENT_COLORS: Readonly<Record<number, string>> = {
  1: '#f85149',
  2: '#f0883e',
  3: '#d29922',
  4: '#58a6ff',
};

export const LEVEL_NUMERALS = ['', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ'] as const;
