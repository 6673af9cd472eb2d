import type { Lang } from '../../lib/i18n';

const zh = {
  title: '录像回放',
  backToMap: '返回地图',
  video: '录像画面',
  timeline: '录像时间轴',
  timelineHint: '点击时间轴从该时刻播放;拖动可拖拽定位;滚轮缩放',
  play: '播放',
  pause: '暂停',
  speed: '播放速度',
  zoomIn: '放大时间轴',
  zoomOut: '缩小时间轴',
  earlier: '向前翻',
  later: '向后翻',
  toNow: '回到当前',
  span: '显示范围',
  jumpTo: '跳转到',
  jumpGo: '跳转',
  copyTime: '复制时间',
  copied: '已复制',
  copyFailed: '无法写入剪贴板',
  frameTime: '画面时间',
  noFrame: '尚未播放',
  profile: '码流',
  main: '主码流',
  sub: '子码流',
  recorded: '有录像',
  gap: '无录像',
  hold: '证据保全',
  incident: '事件',
  now: '现在',
  loading: '正在加载…',
  waiting: '缓冲中…',
  ended: '已播放到所选范围末尾',
  idle: '点击时间轴上的录像(绿色)开始回放',
  skippedGap: '所选时刻无录像,已从下一段录像开始播放',
  transcoded: '此录像为 H.265 编码,由服务器实时转码为 H.264 播放',
  emergency: '应急授权调阅',
  damaged: '此段录像已损坏(校验值不符),不予播放',
  missing: '此段录像文件缺失,不予播放',
  damagedRange: '受影响时段',
  refused: '无法调阅录像',
  timelineFailed: '录像时间轴加载失败',
  retry: '重试',
  help: '快捷键',
  helpTitle: '录像回放快捷键',
  close: '关闭',
  keys: [
    ['Space', '播放 / 暂停'],
    ['+ / -', '放大 / 缩小时间轴'],
    ['← / →', '后退 / 前进 10 秒'],
    ['[ / ]', '减速 / 加速(0.5× – 8×)'],
    ['C', '复制当前画面时间(毫秒)'],
    ['J', '跳转到日期和时间'],
    ['N', '时间轴回到当前'],
    ['?', '快捷键说明'],
    ['Esc', '关闭对话框'],
  ] as readonly (readonly [string, string])[],
  gapReasons: {
    source_lost: '摄像机信号中断',
    node_restart: '媒体节点重启',
    storage_full: '存储空间不足',
    recording_stopped: '录像计划停止',
    recorder_error: '录像写入错误',
  } as Record<string, string>,
  levels: { 1: 'Ⅰ级(特别重大)', 2: 'Ⅱ级(重大)', 3: 'Ⅲ级(较大)', 4: 'Ⅳ级(一般)' } as Record<number, string>,
  open: '进行中',
  case: '案号',
  refusals: {
    'forbidden:retrieval': '您无权调阅此摄像机的录像(需具备县级以上公安调阅资格或在重大事件应急授权范围内)',
    'forbidden:grade': '摄像机安全等级超出您的权限',
    'forbidden:tier': '不在您的管辖范围内',
    'forbidden:private': '社会资源摄像机,需应急授权',
    'forbidden:role': '您的角色无权调阅录像',
    'forbidden:state': '摄像机未投入使用',
    'not_found:camera': '摄像机不存在或不在您的范围内',
    unauthenticated: '登录已失效,请重新登录',
    'playback:not_recorded': '该时段没有录像',
    'invalid:range': '时间范围无效',
    'client:unsupported': '此浏览器不支持录像回放(缺少 Media Source Extensions)',
    'client:network': '网络错误,录像无法加载',
    'client:media': '录像无法解码',
    'unavailable:dependency': '录像服务暂不可用',
    rate_limited: '请求过于频繁,请稍后再试',
  } as Record<string, string>,
};

type Messages = typeof zh;

const en: Messages = {
  title: 'Recording playback',
  backToMap: 'Back to the map',
  video: 'Recorded video',
  timeline: 'Recording timeline',
  timelineHint: 'Click the timeline to play from that time; drag to scrub; wheel to zoom',
  play: 'Play',
  pause: 'Pause',
  speed: 'Speed',
  zoomIn: 'Zoom in',
  zoomOut: 'Zoom out',
  earlier: 'Earlier',
  later: 'Later',
  toNow: 'Back to now',
  span: 'Showing',
  jumpTo: 'Jump to',
  jumpGo: 'Go',
  copyTime: 'Copy time',
  copied: 'Copied',
  copyFailed: 'Could not write to the clipboard',
  frameTime: 'Frame time',
  noFrame: 'not playing',
  profile: 'Stream',
  main: 'Main',
  sub: 'Sub',
  recorded: 'Recorded',
  gap: 'Not recorded',
  hold: 'Evidence hold',
  incident: 'Incident',
  now: 'now',
  loading: 'Loading…',
  waiting: 'Buffering…',
  ended: 'Reached the end of the loaded range',
  idle: 'Click a recorded (green) part of the timeline to play it',
  skippedGap: 'Nothing was recorded at that time: playing from the next recording',
  transcoded: 'Recorded in H.265: the server transcodes it to H.264 for this browser',
  emergency: 'Emergency grant',
  damaged: 'This recording is damaged (its checksum does not match) and is not played',
  missing: 'This recording’s file is missing and is not played',
  damagedRange: 'Affected time',
  refused: 'Recordings unavailable',
  timelineFailed: 'Could not load the timeline',
  retry: 'Retry',
  help: 'Shortcuts',
  helpTitle: 'Playback shortcuts',
  close: 'Close',
  keys: [
    ['Space', 'Play / pause'],
    ['+ / -', 'Zoom the timeline in / out'],
    ['← / →', 'Back / forward 10 s'],
    ['[ / ]', 'Slower / faster (0.5× – 8×)'],
    ['C', 'Copy the frame’s time (ms)'],
    ['J', 'Jump to a date and time'],
    ['N', 'Timeline back to now'],
    ['?', 'These shortcuts'],
    ['Esc', 'Close the dialog'],
  ],
  gapReasons: {
    source_lost: 'Camera signal lost',
    node_restart: 'Media node restarted',
    storage_full: 'Storage full',
    recording_stopped: 'Recording plan stopped',
    recorder_error: 'Recorder write error',
  },
  levels: {
    1: 'Level Ⅰ (especially major)',
    2: 'Level Ⅱ (major)',
    3: 'Level Ⅲ (large)',
    4: 'Level Ⅳ (general)',
  },
  open: 'open',
  case: 'case',
  refusals: {
    'forbidden:retrieval':
      'You may not view this camera’s recordings (needs a county-level police retrieval certificate, or a major incident’s emergency grant)',
    'forbidden:grade': 'The security grade is above your clearance',
    'forbidden:tier': 'Outside your jurisdiction',
    'forbidden:private': 'Privately funded camera: needs an emergency grant',
    'forbidden:role': 'Your role may not view recordings',
    'forbidden:state': 'The camera is not in service',
    'not_found:camera': 'No such camera, or not in your scope',
    unauthenticated: 'Your session has ended: sign in again',
    'playback:not_recorded': 'Nothing is recorded in this range',
    'invalid:range': 'Invalid time range',
    'client:unsupported': 'This browser cannot play recordings (no Media Source Extensions)',
    'client:network': 'Network error: the recording cannot be loaded',
    'client:media': 'The recording cannot be decoded',
    'unavailable:dependency': 'The recording service is unavailable',
    rate_limited: 'Too many requests: try again shortly',
  },
};

export type PlaybackMessages = Messages;

export function playbackStrings(lang: Lang): PlaybackMessages {
  return lang === 'en' ? en : zh;
}

/** Words for a refusal or failure code, the code after them. */
export function refusalText(lang: Lang, code: string, message?: string): string {
  const words = playbackStrings(lang).refusals[code] ?? message;
  return words && words !== code ? `${words} (${code})` : code;
}

/** A wall-clock time as the page shows it (local time): `YYYY-MM-DD HH:mm:ss`, with `.mmm` if asked. */
export function formatWall(ms: number, withMs = false): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return withMs ? `${base}.${p(d.getMilliseconds(), 3)}` : base;
}

/** A visible span in words: `1 分钟`, `3 小时`, `30 天` / `1 min`, `3 h`, `30 days`. */
export function spanText(lang: Lang, ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 60) return lang === 'en' ? `${min} min` : `${min} 分钟`;
  const h = Math.round(min / 60);
  if (h < 24) return lang === 'en' ? `${h} h` : `${h} 小时`;
  const d = Math.round(h / 24);
  return lang === 'en' ? `${d} day${d === 1 ? '' : 's'}` : `${d} 天`;
}

/** A tick's label: the time of day, or the date at midnight / for day steps. */
export function tickLabel(ms: number, step: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const midnight = d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0;
  if (step >= 86_400_000 || midnight) return `${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  if (step < 60_000) return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return `${p(d.getHours())}:${p(d.getMinutes())}`;
}
