import type { Me } from '@wall/protocol';
import type { Lang } from '../../lib/i18n';

/**
 * Times are shown in the city's own time zone (the platform serves Changzhou), so that a server-
 * rendered review and a browser-rendered notice say the same time for the same instant.
 */
export const DISPLAY_TIME_ZONE = 'Asia/Shanghai';

const FORMATS: Record<Lang, Intl.DateTimeFormat> = {
  zh: new Intl.DateTimeFormat('zh-CN', {
    timeZone: DISPLAY_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }),
  en: new Intl.DateTimeFormat('en-GB', {
    timeZone: DISPLAY_TIME_ZONE,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }),
};

/** An ISO instant as local date and time of the city (`2025/06/01 14:03:07`, `1 Jun 2025, 14:03:07`). */
export function formatTime(iso: string, lang: Lang): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : FORMATS[lang].format(d);
}

/**
 * Whether the user is one the gateway may show an incident's review to: auditors, and police and
 * emergency-management users (district ones only for incidents reaching their district — the
 * gateway decides, the page shows its refusal).
 */
export function mayReadReviews(user: Pick<Me, 'roles' | 'departmentKind'>): boolean {
  return (
    user.roles.includes('auditor') || user.departmentKind === 'police' || user.departmentKind === 'emergency'
  );
}
