import type { Lang } from '../../lib/i18n';

const zh = {
  mapTitle: '视频地图',
  search: '按名称搜索摄像机',
  searching: '搜索中…',
  noResults: '无匹配摄像机',
  searchFailed: '搜索失败',
  filters: '筛选',
  district: '区县',
  category: '场所类别',
  grade: '安全等级',
  status: '视频状态',
  all: '全部',
  clear: '清除',
  shown: '显示',
  cameras: '台摄像机',
  loading: '正在加载摄像机…',
  loadFailed: '摄像机加载失败',
  retry: '重试',
  close: '关闭',
  live: '实时视频',
  stopLive: '停止',
  snapshot: '快照',
  snapshotLoading: '正在获取快照…',
  sendToWall: '上墙',
  dragToWall: '拖到视频墙',
  lifecycle: '登记状态',
  private: '社会资源',
  emergency: '应急授权',
  incidents: '事件',
  noIncidents: '无进行中的事件',
  radius: '半径',
  grantUntil: '应急授权至',
  level: '级',
  pickPoint: '点击地图选择位置',
  statusNone: '未在播',
  webglUnavailable: '此浏览器无法显示地图(不支持 WebGL)',
  signOut: '退出',
  wall: '视频墙',
  playback: '录像回放',
} as const;

type Messages = { [K in keyof typeof zh]: string };

const en: Messages = {
  mapTitle: 'Camera map',
  search: 'Search cameras by name',
  searching: 'Searching…',
  noResults: 'No matching camera',
  searchFailed: 'Search failed',
  filters: 'Filters',
  district: 'District',
  category: 'Site category',
  grade: 'Security grade',
  status: 'Stream status',
  all: 'All',
  clear: 'Clear',
  shown: 'Showing',
  cameras: 'cameras',
  loading: 'Loading cameras…',
  loadFailed: 'Could not load cameras',
  retry: 'Retry',
  close: 'Close',
  live: 'Live',
  stopLive: 'Stop',
  snapshot: 'Snapshot',
  snapshotLoading: 'Fetching snapshot…',
  sendToWall: 'Send to wall',
  dragToWall: 'Drag to wall',
  lifecycle: 'Registry state',
  private: 'Privately funded',
  emergency: 'Emergency grant',
  incidents: 'Incidents',
  noIncidents: 'No open incident',
  radius: 'radius',
  grantUntil: 'emergency grant until',
  level: 'level',
  pickPoint: 'Click the map to pick a point',
  statusNone: 'not streaming',
  webglUnavailable: 'This browser cannot show the map (no WebGL)',
  signOut: 'Sign out',
  wall: 'Video wall',
  playback: 'Playback',
};

export type MapMessages = Messages;

export function mapMessages(lang: Lang): MapMessages {
  return lang === 'en' ? en : zh;
}

/** Words for the gateway's and media node's refusal codes (shown in the preview). */
const DENIALS: Record<Lang, Record<string, string>> = {
  zh: {
    'forbidden:grade': '安全等级超出您的权限',
    'forbidden:tier': '不在您的管辖范围内',
    'forbidden:private': '社会资源摄像机,需应急授权',
    'forbidden:role': '您的角色无权查看实时视频',
    'forbidden:state': '摄像机未投入使用',
    'auth:required': '登录已失效,请重新登录',
    'not_found:camera': '摄像机不存在',
    rate_limited: '请求过于频繁,请稍后再试',
    'unavailable:dependency': '视频服务暂不可用',
    'stream:offline': '摄像机离线',
  },
  en: {
    'forbidden:grade': 'The security grade is above your clearance',
    'forbidden:tier': 'Outside your jurisdiction',
    'forbidden:private': 'Privately funded camera: needs an emergency grant',
    'forbidden:role': 'Your role may not watch live video',
    'forbidden:state': 'The camera is not in service',
    'auth:required': 'Your session has ended: sign in again',
    'not_found:camera': 'No such camera',
    rate_limited: 'Too many requests: try again shortly',
    'unavailable:dependency': 'The video service is unavailable',
    'stream:offline': 'The camera is offline',
  },
};

export function denialText(lang: Lang, code: string): string {
  const words = DENIALS[lang][code];
  return words ? `${words} (${code})` : code;
}
