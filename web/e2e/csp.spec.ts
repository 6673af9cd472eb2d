import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type APIRequestContext, type BrowserContext, expect, type Page, test } from '@playwright/test';
import { E2E } from '../playwright.config';

// The pages' Content-Security-Policy (web/src/proxy.ts, web/src/lib/csp.ts): present on every page
// with a fresh nonce on each, no 'unsafe-eval', never framed; and the pages still work under it —
// sign-in, the map (MapLibre and its workers, blob: GeoJSON), a snapshot and live video from the
// media node, the wall console playing a tile — with no violation reported anywhere.

function demoPassword(): string {
  const raw = JSON.parse(readFileSync(join(E2E.dataDir, 'demo-credentials.json'), 'utf8')) as {
    password: string;
  };
  return raw.password;
}

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
  source: string;
}

/**
 * Collects every CSP violation of the context's pages: the `securitypolicyviolation` events (the
 * page's and its workers' reports reach the document) and the browser's console errors about the
 * policy. Init scripts and `evaluate` are not subject to the page's CSP.
 */
async function watchViolations(
  context: BrowserContext,
): Promise<{ events: (p: Page) => Promise<Violation[]>; console: string[] }> {
  const consoleErrors: string[] = [];
  await context.addInitScript(() => {
    const w = window as unknown as { __csp?: Violation[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__csp?.push({
        directive: e.effectiveDirective,
        blocked: e.blockedURI,
        sample: e.sample,
        source: `${e.sourceFile}:${e.lineNumber}`,
      });
    });
  });
  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (/Content Security Policy|Content-Security-Policy|Refused to/i.test(m.text()))
        consoleErrors.push(m.text());
    });
    p.on('worker', (w) =>
      w.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) consoleErrors.push(`worker: ${m.text()}`);
      }),
    );
  };
  for (const p of context.pages()) watch(p);
  context.on('page', watch);
  return {
    events: (p: Page) => p.evaluate(() => [...((window as unknown as { __csp?: Violation[] }).__csp ?? [])]),
    console: consoleErrors,
  };
}

/** The policy's directives by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name as string, values]),
  );
}

async function apiAs(
  request: APIRequestContext,
  username: string,
): Promise<{ csrf: string; headers: Record<string, string> }> {
  const res = await request.post(`${E2E.gatewayUrl}/api/auth/login`, {
    data: { username, password: demoPassword() },
    headers: { origin: E2E.webUrl },
  });
  expect(res.status(), await res.text()).toBe(200);
  const csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
  return { csrf, headers: { 'x-csrf-token': csrf, origin: E2E.webUrl } };
}

test('every page carries a CSP with a fresh nonce on each response, on all its scripts, and no unsafe-eval', async ({
  request,
}) => {
  const nonces = new Set<string>();
  for (const path of ['/login', '/login?lang=en', '/no-such-page']) {
    const res = await request.get(path, { maxRedirects: 0 });
    expect([200, 404], path).toContain(res.status());
    const policy = res.headers()['content-security-policy'] ?? '';
    const d = directives(policy);
    expect(policy, path).not.toContain('unsafe-eval');
    expect(d.get('frame-ancestors'), path).toEqual(["'none'"]);
    expect(d.get('object-src'), path).toEqual(["'none'"]);
    expect(d.get('base-uri'), path).toEqual(["'self'"]);
    expect(d.get('worker-src'), path).toEqual(["'self'", 'blob:']);
    const script = d.get('script-src') ?? [];
    expect(script, path).not.toContain("'unsafe-inline'");
    const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(
      script.find((s) => s.startsWith("'nonce-")) ?? '',
    )?.[1];
    expect(nonce, `${path}: a nonce in script-src`).toBeDefined();
    nonces.add(nonce ?? '');
    // The gateway and the media node (HTTP and WebSocket), nothing else off-site.
    const gateway = new URL(E2E.gatewayUrl);
    const media = new URL(E2E.mediaUrl);
    expect(new Set(d.get('connect-src'))).toEqual(
      new Set([
        "'self'",
        'blob:',
        gateway.origin,
        `ws://${gateway.host}`,
        media.origin,
        `ws://${media.host}`,
      ]),
    );
    expect(d.get('img-src'), path).toContain(media.origin);
    // Every script element of the page carries this response's nonce.
    const html = await res.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length, path).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
  }
  expect(nonces.size).toBe(3);
});

test('under the CSP: sign-in, map with snapshot and live video, wall console playing a tile — no violation', async ({
  browser,
  request,
}) => {
  test.setTimeout(150_000);
  const context = await browser.newContext({ baseURL: E2E.webUrl, viewport: { width: 1440, height: 860 } });
  const seen = await watchViolations(context);
  const page = await context.newPage();

  // Sign-in through the form: the page's scripts run (hydration), the gateway is reached.
  await page.goto('/login');
  await page.getByTestId('login-username').fill('eoc.operator');
  await page.getByTestId('login-password').fill(demoPassword());
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/walls$/, { timeout: 15_000 });
  expect(await seen.events(page)).toEqual([]);

  // The map: MapLibre's worker (served here), the filter worker, the cameras as blob: GeoJSON.
  await page.goto('/map');
  await expect(page.getByTestId('map')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  expect(Number(await page.getByTestId('map').getAttribute('data-camera-count'))).toBeGreaterThan(100);
  await page.getByTestId('camera-search').fill('模拟');
  const first = page.getByTestId('camera-result').first();
  const cameraId = (await first.getAttribute('data-camera-id')) ?? '';
  await first.click();
  const preview = page.getByTestId('camera-preview');
  const snapshot = preview.getByTestId('preview-snapshot');
  await expect
    .poll(() => snapshot.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), {
      timeout: 30_000,
    })
    .toBe(640);
  // Live: signalling to the media node (socket.io), WebRTC, decoded frames.
  await preview.getByTestId('preview-live').click();
  await expect
    .poll(
      () =>
        page.locator('[data-testid="camera-preview"] video').evaluate((v: HTMLVideoElement) => v.videoWidth),
      {
        timeout: 30_000,
      },
    )
    .toBe(640);
  expect(await seen.events(page)).toEqual([]);

  // The wall console: a wall made over the API with a simulated camera on tile 0, playing.
  const api = await apiAs(request, 'eoc.operator');
  const made = await request.post(`${E2E.gatewayUrl}/api/walls`, {
    headers: api.headers,
    data: { name: `CSP ${Date.now()}`, layout: '4' },
  });
  expect(made.status()).toBe(201);
  const wall = (await made.json()) as { id: string };
  const assigned = await request.post(`${E2E.gatewayUrl}/api/walls/${wall.id}/commands`, {
    headers: api.headers,
    data: { type: 'assign', version: 0, index: 0, cameraId },
  });
  expect(assigned.status()).toBe(200);
  await page.goto(`/walls/${wall.id}`);
  const tile = page.locator('[data-testid="wall-tile"][data-index="0"]');
  await expect(tile).toHaveAttribute('data-camera-id', cameraId, { timeout: 15_000 });
  await expect(tile).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  await expect
    .poll(() => tile.locator('video[data-active="true"]').evaluate((v: HTMLVideoElement) => v.videoWidth), {
      timeout: 30_000,
    })
    .toBeGreaterThan(0);

  expect(await seen.events(page)).toEqual([]);
  expect(seen.console).toEqual([]);
  await context.close();
});
