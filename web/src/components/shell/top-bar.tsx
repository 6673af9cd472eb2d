import type { Me } from '@wall/protocol';
import { DISTRICTS } from '@wall/protocol';
import Link from 'next/link';
import type { Lang } from '../../lib/i18n';
import { NoticesControl } from '../emergency';
import { CapacityBannerControl } from './capacity-banner';
import { LogoutButton } from './logout-button';
import styles from './shell.module.css';
import { shellStrings } from './strings';

/** Who sees the storage banner (R-REC-3): administrators and auditors, as the gateway answers them. */
const CAPACITY_READERS = ['registry_admin', 'auditor'];

/** The sections of the top bar, each at `/<section>`. */
const SECTIONS = ['walls', 'map', 'incidents'] as const;

export interface TopBarProps {
  user: Me;
  lang: Lang;
  /** This page's path (the language switch links to it). */
  path: string;
  /** Which section is open. */
  active?: (typeof SECTIONS)[number] | 'notices';
  /** The gateway as the browser reaches it (sign-out, notices). */
  gatewayUrl: string;
}

/**
 * The top bar of the signed-in pages: sections (视频墙 /walls, 地图 /map, 事件 /incidents), the emergency-access
 * notices (badge and toasts, /notices), the user with org, tier and clearance, the language switch
 * and sign-out; for administrators and auditors, the storage banner under it (R-REC-3). No hooks: usable from server and client pages.
 */
export function TopBar({ user, lang, path, active, gatewayUrl }: TopBarProps) {
  const t = shellStrings(lang);
  const q = lang === 'en' ? '?lang=en' : '';
  const district = user.districtCode ? DISTRICTS.find((d) => d.code === user.districtCode) : undefined;
  const sep = path.includes('?') ? '&' : '?';
  const other = lang === 'zh' ? `${path}${sep}lang=en` : path.replace(/[?&]lang=en\b/, '');
  return (
    <header className={styles.bar} data-testid="top-bar">
      <Link href={`/walls${q}`} className={styles.brand}>
        {t.title}
      </Link>
      <nav className={styles.nav}>
        {SECTIONS.map((section) => (
          <Link
            key={section}
            href={`/${section}${q}`}
            aria-current={active === section ? 'page' : undefined}
            data-testid={`nav-${section}`}
          >
            {t[section]}
          </Link>
        ))}
      </nav>
      <span className={styles.spacer} />
      <NoticesControl userId={user.id} lang={lang} gatewayUrl={gatewayUrl} current={active === 'notices'} />
      {user.roles.some((r) => CAPACITY_READERS.includes(r)) && (
        <CapacityBannerControl lang={lang} gatewayUrl={gatewayUrl} />
      )}
      <span className={styles.user} data-testid="top-user" data-username={user.username}>
        <strong>{user.displayName}</strong>
        <span>{user.orgName}</span>
        <span className={styles.tag} data-testid="top-tier">
          {t.tier[user.tier] ?? user.tier}
          {district ? ` · ${lang === 'en' ? district.nameEn : district.name}` : ''}
        </span>
        <span className={styles.tag} data-testid="top-clearance">
          {t.clearance(user.clearance)}
        </span>
      </span>
      <Link href={other} className={styles.lang} data-testid="lang-switch">
        {t.switchLang}
      </Link>
      <LogoutButton gatewayUrl={gatewayUrl} label={t.logout} busyLabel={t.loggingOut} />
    </header>
  );
}
