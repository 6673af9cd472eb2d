import type { Metadata } from 'next';
import Link from 'next/link';
import { langOf } from '../../../lib/i18n';
import { requireSession } from '../../../lib/page-session';
import { LabPlayer, type LabPlayerMessages } from './lab-player';
import styles from './player.module.css';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: '实时视频诊断播放器 · Live diagnostics player',
  robots: { index: false, follow: false },
};

const dict: Record<'zh' | 'en', LabPlayerMessages & { title: string; labNote: string; usage: string }> = {
  zh: {
    title: '实时视频诊断播放器',
    labNote: '实验工具:仅供已登录用户调试媒体节点的实时视频链路。流令牌出现在地址栏中,请勿分享此链接。',
    usage: '用法:/lab/player?node=<媒体节点地址>&token=<流令牌>[&token=<流令牌2>…]',
    node: '媒体节点',
    tile: '画面',
    camera: '摄像机',
    profile: '码流',
    state: '状态',
    connecting: '连接中',
    live: '直播中',
    error: '错误',
    frames: '已解码帧',
    size: '分辨率',
    firstFrame: '首帧耗时',
    resubscriptions: '重新订阅',
    badNode: '媒体节点地址无效',
    switchLang: 'English',
  },
  en: {
    title: 'Live diagnostics player',
    labNote:
      'Lab tool for signed-in users, to debug a media node’s live video path. Stream tokens appear in the address bar: do not share this link.',
    usage: 'Usage: /lab/player?node=<media node URL>&token=<stream token>[&token=<token 2>…]',
    node: 'Media node',
    tile: 'Tile',
    camera: 'Camera',
    profile: 'Profile',
    state: 'State',
    connecting: 'connecting',
    live: 'live',
    error: 'error',
    frames: 'Decoded frames',
    size: 'Size',
    firstFrame: 'First frame',
    resubscriptions: 'Resubscriptions',
    badNode: 'Invalid media node URL',
    switchLang: '中文',
  },
};

function validNodeUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => v.trim()).filter((v) => v.length > 0);
}

export default async function LabPlayerPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const lang = langOf(params.lang);
  // Stream tokens in the address bar are no way around sign-in: the page is for signed-in users.
  await requireSession(lang);
  const t = dict[lang];
  const rawNode = list(params.node)[0];
  const node = validNodeUrl(rawNode);
  const tokens = list(params.token).slice(0, 64);

  const other = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (key === 'lang') continue;
    for (const v of list(value)) other.append(key, v);
  }
  if (lang === 'zh') other.set('lang', 'en');

  return (
    <main className={styles.page}>
      <header className={styles.header}>
        <h1>{t.title}</h1>
        <Link href={`/lab/player?${other.toString()}`}>{t.switchLang}</Link>
      </header>
      <p className={styles.note} role="note" data-testid="lab-note">
        {t.labNote}
      </p>
      {node && tokens.length > 0 ? (
        <LabPlayer node={node} tokens={tokens} t={t} />
      ) : (
        <p className={styles.usage} data-testid="lab-usage">
          {rawNode && !node ? `${t.badNode}: ${rawNode}. ` : ''}
          {t.usage}
        </p>
      )}
    </main>
  );
}
