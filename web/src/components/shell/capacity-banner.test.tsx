// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { CapacityBanner } from './capacity';
import { CapacityBannerView } from './capacity-banner';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const shortfall: CapacityBanner = {
  tone: 'alarm',
  status: 'shortfall',
  key: 'k',
  runsOutAt: '2027-01-15T04:00:00.000Z',
  stopped: 1,
  neededBytes: 65e9,
  usableBytes: 2.5e9,
  nodes: 1,
};

describe('the storage banner as a person reads it', () => {
  let root: Root | undefined;
  let host: HTMLElement | undefined;
  afterEach(() => {
    act(() => root?.unmount());
    host?.remove();
  });
  function render(banner: CapacityBanner, lang: 'zh' | 'en', onDismiss = () => {}) {
    host = document.createElement('div');
    document.body.append(host);
    root = createRoot(host);
    act(() => root?.render(<CapacityBannerView banner={banner} lang={lang} onDismiss={onDismiss} />));
    return host.querySelector('[data-testid="capacity-banner"]') as HTMLElement;
  }

  it('zh: the shortfall, the stop, the date space runs out (city time), need and usable space', () => {
    const el = render(shortfall, 'zh');
    expect(el.getAttribute('role')).toBe('alert');
    expect(el.querySelector('strong')?.textContent).toBe('录像存储不足');
    expect(el.querySelector('[data-testid="capacity-detail"]')?.textContent).toBe(
      '1 路录像因空间不足已停止（优先级最低的先停），保留期内的录像未被删除；按当前录像码率，存储空间将于 2027/01/15 12:00:00 用尽；保留期内录像需要 65.0 GB，可用 2.5 GB',
    );
  });

  it('en, and the dismiss button hands back', () => {
    let dismissed = 0;
    const el = render({ ...shortfall, stopped: 0 }, 'en', () => dismissed++);
    expect(el.querySelector('[data-testid="capacity-detail"]')?.textContent).toBe(
      'At the current recording rate the space runs out on 15 Jan 2027, 12:00:00; retention needs 65.0 GB, 2.5 GB usable',
    );
    act(() => (el.querySelector('button') as HTMLButtonElement).click());
    expect(dismissed).toBe(1);
  });

  it('a recovery is a status, not an alert', () => {
    const el = render({ ...shortfall, tone: 'ok', status: 'recovered', runsOutAt: null, stopped: 0 }, 'en');
    expect(el.getAttribute('role')).toBe('status');
    expect(el.textContent).toContain('Recording storage alarm cleared');
    expect(el.textContent).toContain('Recording resumed');
  });
});
