'use client';

import { type CapacityReport, capacityChangeSchema, formatBytes } from '@wall/protocol';
import { useEffect, useMemo, useState } from 'react';
import { GatewayClient } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import { acquireRealtime } from '../../lib/realtime';
import { formatTime } from '../emergency';
import { type CapacityBanner as Banner, capacityBanner, isRecovery } from './capacity';
import styles from './shell.module.css';
import { shellStrings } from './strings';

/** Where the dismissed banner's key is kept for this browser tab. */
const DISMISSED_KEY = 'wall.capacity.dismissed';

export interface CapacityBannerProps {
  lang: Lang;
  gatewayUrl: string;
}

/**
 * The storage banner of administrators and auditors (R-REC-3): under the top bar while a recording
 * volume is in warning or shortfall — with the date its space runs out — or recorders are stopped
 * for lack of space; a short "cleared" one when the alarms clear. Reads `GET /api/recordings/capacity`
 * at start and after a reconnect, and follows `recording:capacity` on the page's realtime socket
 * (sent to administrators). Dismissing hides it until the alarms change.
 */
export function CapacityBannerControl({ lang, gatewayUrl }: CapacityBannerProps) {
  const client = useMemo(() => new GatewayClient(gatewayUrl), [gatewayUrl]);
  const [state, setState] = useState<{ report: CapacityReport; recovered: boolean } | null>(null);
  const [dismissed, setDismissed] = useState<string | null>(null);

  useEffect(() => {
    setDismissed(sessionStorage.getItem(DISMISSED_KEY));
    let live = true;
    const load = () =>
      client.recordingCapacity().then(
        (report) => live && setState((s) => ({ report, recovered: s?.recovered ?? false })),
        () => undefined, // not an administrator or auditor, or the gateway is away: no banner
      );
    void load();
    const { client: rt, release } = acquireRealtime(gatewayUrl);
    let connectedBefore = false;
    const offChange = rt.on('recording:capacity', (raw) => {
      const change = capacityChangeSchema.safeParse(raw);
      if (change.success) setState({ report: change.data.report, recovered: isRecovery(change.data) });
    });
    const offConn = rt.onConnection((c) => {
      if (c.state !== 'connected') return;
      if (connectedBefore) void load(); // changes announced while away were missed
      connectedBefore = true;
    });
    return () => {
      live = false;
      offChange();
      offConn();
      release();
    };
  }, [client, gatewayUrl]);

  const banner = capacityBanner(state?.report ?? null, state?.recovered ?? false);
  if (!banner || banner.key === dismissed) return null;
  return (
    <CapacityBannerView
      banner={banner}
      lang={lang}
      onDismiss={() => {
        sessionStorage.setItem(DISMISSED_KEY, banner.key);
        setDismissed(banner.key);
      }}
    />
  );
}

/** The banner itself (no state): what a person reads. */
export function CapacityBannerView({
  banner,
  lang,
  onDismiss,
}: {
  banner: Banner;
  lang: Lang;
  onDismiss: () => void;
}) {
  const t = shellStrings(lang).capacity;
  const title =
    banner.status === 'recovered' ? t.recovered : banner.status === 'warning' ? t.warning : t.shortfall;
  const parts: string[] = [];
  if (banner.status === 'recovered') parts.push(t.resumed);
  else {
    if (banner.stopped > 0) parts.push(t.stopped(banner.stopped));
    if (banner.runsOutAt) {
      parts.push(
        Date.parse(banner.runsOutAt) <= Date.now() + 60_000
          ? t.ranOut
          : t.runsOut(formatTime(banner.runsOutAt, lang)),
      );
    }
    parts.push(t.need(formatBytes(banner.neededBytes), formatBytes(banner.usableBytes)));
    if (banner.nodes > 1) parts.push(t.nodes(banner.nodes));
  }
  return (
    <div
      className={styles.capacity}
      role={banner.tone === 'ok' ? 'status' : 'alert'}
      data-testid="capacity-banner"
      data-tone={banner.tone}
      data-status={banner.status}
    >
      <strong>{title}</strong>
      <span data-testid="capacity-detail">{parts.join(lang === 'en' ? '; ' : '；')}</span>
      <button type="button" onClick={onDismiss} aria-label={t.dismiss} title={t.dismiss}>
        ×
      </button>
    </div>
  );
}
