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
  capacity: {
    shortfall: '录像存储不足',
    warning: '录像存储空间即将不足',
    recovered: '录像存储告警已解除',
    runsOut: (date: string) => `按当前录像码率，存储空间将于 ${date} 用尽`,
    ranOut: '存储空间已用尽',
    need: (needed: string, usable: string) => `保留期内录像需要 ${needed}，可用 ${usable}`,
    stopped: (n: number) => `${n} 路录像因空间不足已停止（优先级最低的先停），保留期内的录像未被删除`,
    resumed: '录像已恢复',
    nodes: (n: number) => `${n} 个媒体节点`,
    details: '查看详情',
    dismiss: '关闭（有新变化时会再次显示）',
  },
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
  capacity: {
    shortfall: 'Recording storage shortfall',
    warning: 'Recording storage running low',
    recovered: 'Recording storage alarm cleared',
    runsOut: (date) => `At the current recording rate the space runs out on ${date}`,
    ranOut: 'The storage space has run out',
    need: (needed, usable) => `retention needs ${needed}, ${usable} usable`,
    stopped: (n) =>
      `${n} recording(s) stopped for lack of space (lowest priority first); no footage within retention was deleted`,
    resumed: 'Recording resumed',
    nodes: (n) => `${n} media node(s)`,
    details: 'Details',
    dismiss: 'Dismiss (shown again on the next change)',
  },
};

export function shellStrings(lang: Lang): ShellStrings {
  return lang === 'en' ? en : zh;
}
