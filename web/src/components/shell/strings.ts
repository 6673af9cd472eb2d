import type { Lang } from '../../lib/i18n';

const zh = {
  title: '应急指挥视频墙',
  walls: '视频墙',
  map: '地图',
  incidents: '事件',
  logout: '退出登录',
  loggingOut: '正在退出…',
  switchLang: 'English',
  clearance: (n: number) => `密级 ${n}`,
  tier: { city: '市级', district: '区级', unit: '单位' } as Record<string, string>,
};

export type ShellStrings = typeof zh;

const en: ShellStrings = {
  title: 'Emergency Command Video Wall',
  walls: 'Walls',
  map: 'Map',
  incidents: 'Incidents',
  logout: 'Sign out',
  loggingOut: 'Signing out…',
  switchLang: '中文',
  clearance: (n) => `clearance ${n}`,
  tier: { city: 'city', district: 'district', unit: 'unit' },
};

export function shellStrings(lang: Lang): ShellStrings {
  return lang === 'en' ? en : zh;
}
