import type { DepartmentKind, Funding, StreamProfile } from '@wall/protocol';
import type { Lang } from '../../lib/i18n';

const LEVELS = ['', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ'] as const;
const numeral = (level: number) => LEVELS[level] ?? String(level);

const zh = {
  // owner notices
  notices: '调阅通知',
  noticesTitle: '应急调阅通知',
  noticesIntro:
    '重大突发事件(Ⅱ级、Ⅰ级)期间,公安和应急管理部门可依法调阅事件区域内的摄像机,包括本单位的社会资源摄像机。以下是对本单位摄像机的每一次调阅,均记入事件的事后复盘。',
  unseenTitle: (n: number) => (n === 0 ? '没有未读的调阅通知' : `${n} 条未读的调阅通知`),
  badgeFailed: '调阅通知暂不可用',
  badgeSignedOut: '会话已结束,请重新登录',
  toastTitle: '本单位摄像机被应急调阅',
  viewAll: '查看全部',
  dismiss: '关闭',
  loading: '正在加载…',
  loadFailed: '调阅通知加载失败',
  retry: '重试',
  older: '更早的记录',
  loadingOlder: '正在加载更早的记录…',
  end: '已显示全部记录',
  empty: '本单位的摄像机没有被应急调阅的记录。',
  // shared columns
  time: '时间',
  camera: '摄像机',
  incident: '事件',
  actorOrg: '调阅单位',
  actorUser: '调阅人员',
  owner: '所属单位',
  funding: '建设性质',
  profile: '码流',
  incidentOf: (id: string) => `事件 ${id.slice(0, 8)}`,
  level: (level: number) => `${numeral(level)}级`,
  incidentLabel: (title: string, level: number) => `${title}（${numeral(level)}级）`,
  orgLabel: (org: string, department: string) => `${org}（${department}）`,
  profiles: { main: '主码流', sub: '子码流' } satisfies Record<StreamProfile, string>,
  departments: {
    police: '公安机关',
    emergency: '应急管理部门',
    state_security: '国家安全机关',
    regulator: '行业主管部门',
    admin: '行政管理部门',
    owner: '建设使用单位',
  } satisfies Record<DepartmentKind, string>,
  fundings: { private: '社会自建', government: '政府投资' } satisfies Record<Funding, string>,
  // after-action review
  review: '复盘',
  reviewTitle: '事后复盘',
  reviewOf: (title: string) => `事后复盘：${title}`,
  openedAt: '开始',
  closedAt: '结束',
  stillOpen: '进行中',
  summaryUses: '调阅次数',
  summaryWithheld: '未交付',
  summaryCameras: '摄像机',
  summaryPrivate: '其中社会资源',
  summaryUsers: '调阅人员',
  summaryOwners: '涉及单位',
  withheld: '未交付',
  withheldNote: '未交付:令牌已签发但媒体节点故障,未交付给用户,未看到视频。',
  noUses: '该事件期间没有应急调阅。',
  truncated: (n: number) => `仅列出前 ${n} 次调阅。`,
  refused: '无法查看复盘',
  unavailable: '网关暂不可用',
  backToMap: '返回地图',
  // incidents
  incidentsTitle: '突发事件',
  incidentsIntro:
    'Ⅱ级、Ⅰ级事件期间,公安和应急管理用户可调阅事件区域内的摄像机(含社会资源),直至事件结束或达到设定的最长期限。每个事件的事后复盘列出全部调阅。',
  filterAll: '全部',
  filterOpen: '进行中',
  filterClosed: '已结束',
  title: '名称',
  districtCol: '所在区',
  grantEnds: '应急授权截止',
  noGrant: '无应急授权',
  untilClosed: '至事件结束',
  noIncidents: '没有事件。',
  incidentsLimit: (n: number) => `仅显示最近的 ${n} 个事件。`,
};

export type EmergencyStrings = typeof zh;

const en: EmergencyStrings = {
  notices: 'Notices',
  noticesTitle: 'Emergency access notices',
  noticesIntro:
    'During a major incident (level Ⅱ or Ⅰ) police and emergency-management users may watch the cameras inside the incident area, privately owned ones included. Below is every use of a camera your organisation owns; each is listed in the incident’s after-action review.',
  unseenTitle: (n) => (n === 0 ? 'No unread notice' : `${n} unread notice${n === 1 ? '' : 's'}`),
  badgeFailed: 'Notices unavailable',
  badgeSignedOut: 'Your session has ended: sign in again',
  toastTitle: 'A camera of your organisation was opened under emergency access',
  viewAll: 'View all',
  dismiss: 'Dismiss',
  loading: 'Loading…',
  loadFailed: 'Could not load the notices',
  retry: 'Retry',
  older: 'Older',
  loadingOlder: 'Loading older uses…',
  end: 'That is all.',
  empty: 'No camera of your organisation has been opened under emergency access.',
  time: 'Time',
  camera: 'Camera',
  incident: 'Incident',
  actorOrg: 'Organisation',
  actorUser: 'User',
  owner: 'Owner',
  funding: 'Funding',
  profile: 'Profile',
  incidentOf: (id) => `incident ${id.slice(0, 8)}`,
  level: (level) => `level ${numeral(level)}`,
  incidentLabel: (title, level) => `${title} (level ${numeral(level)})`,
  orgLabel: (org, department) => `${org} (${department})`,
  profiles: { main: 'main', sub: 'sub' },
  departments: {
    police: 'police',
    emergency: 'emergency management',
    state_security: 'state security',
    regulator: 'regulator',
    admin: 'administration',
    owner: 'owner unit',
  },
  fundings: { private: 'private', government: 'government' },
  review: 'Review',
  reviewTitle: 'After-action review',
  reviewOf: (title) => `After-action review: ${title}`,
  openedAt: 'Opened',
  closedAt: 'Closed',
  stillOpen: 'still open',
  summaryUses: 'Uses',
  summaryWithheld: 'Withheld',
  summaryCameras: 'Cameras',
  summaryPrivate: 'of them private',
  summaryUsers: 'Users',
  summaryOwners: 'Owner organisations',
  withheld: 'withheld',
  withheldNote:
    'Withheld: the token was issued but the media node failed, so it was not handed out and no video was seen.',
  noUses: 'No emergency use during this incident.',
  truncated: (n) => `Only the first ${n} uses are listed.`,
  refused: 'Cannot show the review',
  unavailable: 'The gateway is unavailable',
  backToMap: 'Back to the map',
  incidentsTitle: 'Incidents',
  incidentsIntro:
    'During a level Ⅱ or Ⅰ incident, police and emergency-management users may watch the cameras inside its area, private ones included, until it is closed or the set maximum runs out. Each incident’s after-action review lists every use.',
  filterAll: 'All',
  filterOpen: 'Open',
  filterClosed: 'Closed',
  title: 'Title',
  districtCol: 'District',
  grantEnds: 'Emergency grant ends',
  noGrant: 'no emergency grant',
  untilClosed: 'when closed',
  noIncidents: 'No incidents.',
  incidentsLimit: (n) => `Only the latest ${n} incidents are shown.`,
};

export function emergencyStrings(lang: Lang): EmergencyStrings {
  return lang === 'en' ? en : zh;
}

const REASONS: Record<Lang, Record<string, string>> = {
  zh: {
    'forbidden:role': '仅审计人员和该事件涉及的公安、应急指挥人员可查看事后复盘',
    'not_found:incident': '事件不存在',
    unauthenticated: '未登录或会话已过期',
    'auth:required': '未登录或会话已过期',
    rate_limited: '请求过于频繁,请稍后再试',
    'client:network': '无法连接网关',
    'client:timeout': '网关未在时限内答复',
    'client:protocol': '网关的答复无法识别',
    internal: '网关内部错误',
  },
  en: {
    'forbidden:role':
      'Only auditors and the police and emergency command users the incident concerns read its review',
    'not_found:incident': 'No such incident',
    unauthenticated: 'Not signed in, or the session has expired',
    'auth:required': 'Not signed in, or the session has expired',
    rate_limited: 'Too many requests: try again shortly',
    'client:network': 'The gateway is unreachable',
    'client:timeout': 'The gateway did not answer in time',
    'client:protocol': 'The gateway’s answer could not be read',
    internal: 'Internal error in the gateway',
  },
};

/** A refusal or failure in words, with its code: `… (forbidden:role)`. */
export function reasonWords(lang: Lang, code: string): string {
  const words = REASONS[lang][code];
  return words ? `${words} (${code})` : code;
}
