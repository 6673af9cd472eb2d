import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { E2E } from '../playwright.config';

// The camera map (/map) against the whole platform: offline base map, the clustered camera
// source, search, the preview (snapshot + live through the media node), and scope by tier.

const SCREENSHOTS = join(import.meta.dirname, '..', '..', '.data', 'test-results', 'screenshots');
/** Simulated cameras are named "<district>模拟路口NNN" (gateway/src/demo/generate.ts). */
const SIM_QUERY = '模拟';

function demoPassword(): string {
  if (process.env.WALL_DEMO_PASSWORD) return process.env.WALL_DEMO_PASSWORD;
  const raw = JSON.parse(readFileSync(join(E2E.dataDir, 'demo-credentials.json'), 'utf8')) as {
    password: string;
  };
  return raw.password;
}

async function login(page: Page, username: string): Promise<void> {
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(demoPassword());
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
  await page.getByTestId('login-submit').click();
  expect((await answer).status()).toBe(200);
  // The form then navigates away from the login page; let it land before going elsewhere.
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await page.waitForLoadState();
}

/** Records every request and socket of the context that leaves this machine, and refuses it. */
async function guardOffline(context: BrowserContext): Promise<string[]> {
  const outside: string[] = [];
  const local = (url: string) => {
    const u = new URL(url);
    return (
      ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) === false ||
      u.hostname === '127.0.0.1' ||
      u.hostname === 'localhost'
    );
  };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (local(url)) return route.fallback();
    outside.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (r) => {
    if (!local(r.url())) outside.push(r.url());
  });
  context.on('page', (p) =>
    p.on('websocket', (ws) => {
      if (!local(ws.url())) outside.push(ws.url());
    }),
  );
  return outside;
}

/** The compact map list as the user's session sees it (all districts, or one). */
async function mapCount(
  page: Page,
  district?: string,
  extra?: string,
): Promise<{ count: number; id: string[] }> {
  const qs = `${district ? `&district=${district}` : ''}${extra ? `&${extra}` : ''}`;
  const res = await page.request.get(`${E2E.gatewayUrl}/api/cameras/geojson?format=compact${qs}`);
  expect(res.status()).toBe(200);
  return (await res.json()) as { count: number; id: string[] };
}

/** The gateway's search by name for the user's session (what the result list must show). */
async function searchIds(page: Page, q: string): Promise<string[]> {
  const res = await page.request.get(`${E2E.gatewayUrl}/api/cameras?q=${encodeURIComponent(q)}&limit=100`);
  expect(res.status()).toBe(200);
  return ((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id);
}

async function resultIds(page: Page): Promise<string[]> {
  return page
    .getByTestId('camera-result')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-camera-id') ?? ''));
}

async function openMap(page: Page): Promise<void> {
  await page.goto('/map');
  await expect(page.getByTestId('map')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
}

/** Decoded frames of a <video>, counted with requestVideoFrameCallback for `ms`. */
async function decodedFrames(page: Page, selector: string, ms: number) {
  return page.locator(selector).evaluate(
    (video: HTMLVideoElement, wait) =>
      new Promise<{ frames: number; width: number; height: number }>((resolve) => {
        let frames = 0;
        let width = 0;
        let height = 0;
        const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
          frames++;
          width = meta.width;
          height = meta.height;
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
        setTimeout(() => resolve({ frames, width, height }), wait);
      }),
    ms,
  );
}

test('without a session /map leads to the login page', async ({ page }) => {
  await page.goto('/map');
  await expect(page).toHaveURL(/\/login$/);
});

test('eoc.operator: offline map, search, preview with snapshot and live video, nothing leaves localhost', async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  const outside = await guardOffline(context);
  await login(page, 'eoc.operator');
  await openMap(page);

  // A WebGL canvas, drawn once with every camera the user may see.
  const canvas = page.locator('[data-testid="map"] canvas');
  await expect(canvas).toHaveCount(1);
  expect(
    await canvas.evaluate(
      (c: HTMLCanvasElement) => c.getContext('webgl2') !== null || c.getContext('webgl') !== null,
    ),
  ).toBe(true);
  expect(await page.evaluate(() => performance.getEntriesByName('map:cameras-rendered', 'mark').length)).toBe(
    1,
  );
  const all = await mapCount(page);
  expect(all.count).toBeGreaterThan(100);
  await expect(page.getByTestId('map')).toHaveAttribute('data-camera-count', String(all.count));
  await expect(page.getByTestId('map-count')).toContainText(all.count.toLocaleString('en-US'));

  // The base map really drew something (districts, outlines, names): many distinct colours.
  const shot = await page.getByTestId('map').screenshot();
  const colours = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    if (!g) return 0;
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < px.length; i += 4)
      seen.add(((px[i] ?? 0) << 16) | ((px[i + 1] ?? 0) << 8) | (px[i + 2] ?? 0));
    return seen.size;
  }, shot.toString('base64'));
  expect(colours).toBeGreaterThan(200);

  // Filters redraw exactly what the gateway's own filters select.
  const grade1 = await mapCount(page, undefined, 'grade=1');
  const zhonglou = await mapCount(page, '320404');
  const filters = page.getByTestId('map-filters');
  await filters.getByRole('button', { name: '筛选' }).click();
  await filters.locator('input[data-filter="grade"][value="1"]').check();
  await expect(page.getByTestId('map')).toHaveAttribute('data-camera-count', String(grade1.count));
  await filters.locator('input[data-filter="grade"][value="1"]').uncheck();
  await filters.locator('input[data-filter="district"][value="320404"]').check();
  await expect(page.getByTestId('map')).toHaveAttribute('data-camera-count', String(zhonglou.count));
  await filters.getByRole('button', { name: '清除' }).click();
  await expect(page.getByTestId('map')).toHaveAttribute('data-camera-count', String(all.count));
  await filters.getByRole('button', { name: '筛选' }).click();

  // An incident declared now appears at once (realtime), with its radius; closed, it goes.
  const csrf = ((await (await page.request.get(`${E2E.gatewayUrl}/api/me`)).json()) as { csrfToken: string })
    .csrfToken;
  const write = { 'x-csrf-token': csrf, origin: E2E.webUrl };
  const opened = await page.request.post(`${E2E.gatewayUrl}/api/incidents`, {
    data: { title: '地图测试事件', level: 4, lon: 119.95, lat: 31.78, radiusM: 1500 },
    headers: write,
  });
  expect(opened.status()).toBe(201);
  const incident = (await opened.json()) as { id: string };
  const listed = page.getByTestId('incident-list').locator(`[data-incident-id="${incident.id}"]`);
  await expect(listed).toContainText('地图测试事件');
  await expect(listed).toContainText('1.5 km');
  const closed = await page.request.post(`${E2E.gatewayUrl}/api/incidents/${incident.id}/close`, {
    headers: write,
  });
  expect(closed.status()).toBe(200);
  await expect(listed).toHaveCount(0);

  // Search by name finds the simulated cameras.
  const simulated = await searchIds(page, SIM_QUERY);
  expect(simulated.length).toBeGreaterThanOrEqual(2);
  await page.getByTestId('camera-search').fill(SIM_QUERY);
  const results = page.getByTestId('camera-result');
  await expect(results).toHaveCount(simulated.length);
  expect(new Set(await resultIds(page))).toEqual(new Set(simulated));
  const names = await results.locator('span:first-child').allTextContents();
  for (const name of names) expect(name).toContain(SIM_QUERY);
  // A city user finds them in both districts they are in.
  expect(names.some((n) => n.startsWith('天宁区')) && names.some((n) => n.startsWith('钟楼区'))).toBe(true);
  const first = results.first();
  const cameraId = await first.getAttribute('data-camera-id');
  expect(cameraId).toMatch(/^[0-9a-f-]{36}$/);
  await expect(first).toHaveAttribute('draggable', 'true');

  // Selecting it flies there and opens the preview with a snapshot (the sub profile: 640×360).
  await first.click();
  const preview = page.getByTestId('camera-preview');
  await expect(preview).toHaveAttribute('data-camera-id', cameraId ?? '');
  await expect(preview.getByTestId('preview-name')).toContainText(SIM_QUERY);
  const snapshot = preview.getByTestId('preview-snapshot');
  await expect
    .poll(() => snapshot.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), {
      timeout: 30_000,
    })
    .toBe(640);
  expect(await snapshot.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(360);
  await expect(preview.getByTestId('camera-drag-handle')).toHaveAttribute('draggable', 'true');
  await page.screenshot({ path: join(SCREENSHOTS, 'map.png') });

  // Live on demand: decoded frames in the preview's <video>.
  await preview.getByTestId('preview-live').click();
  const video = '[data-testid="camera-preview"] video';
  await expect
    .poll(() => page.locator(video).evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 30_000 })
    .toBe(640);
  const decoded = await decodedFrames(page, video, 2000);
  expect(decoded.frames).toBeGreaterThanOrEqual(10);
  expect(decoded).toMatchObject({ width: 640, height: 360 });
  await page.screenshot({ path: join(SCREENSHOTS, 'map-live.png') });

  // Closing the preview stops the stream.
  await preview.getByRole('button', { name: '关闭' }).click();
  await expect(preview).toHaveCount(0);

  expect(outside).toEqual([]);
});

test('tianning.staff sees only 天宁区 cameras, on the map and in the search', async ({ page, context }) => {
  const outside = await guardOffline(context);
  await login(page, 'tianning.staff');
  await openMap(page);
  const all = await mapCount(page);
  const tianning = await mapCount(page, '320402');
  expect(all.count).toBeGreaterThan(0);
  expect(tianning.count).toBe(all.count);
  expect(new Set(tianning.id)).toEqual(new Set(all.id));
  await expect(page.getByTestId('map')).toHaveAttribute('data-camera-count', String(all.count));

  // Simulated cameras alternate between 天宁区 and 钟楼区: this user finds only the first ones.
  const simulated = await searchIds(page, SIM_QUERY);
  expect(simulated.length).toBeGreaterThan(0);
  await page.getByTestId('camera-search').fill(SIM_QUERY);
  const results = page.getByTestId('camera-result');
  await expect(results).toHaveCount(simulated.length);
  const ids = await resultIds(page);
  expect(new Set(ids)).toEqual(new Set(simulated));
  for (const name of await results.locator('span:first-child').allTextContents())
    expect(name).toContain('天宁区');
  for (const id of ids) {
    const res = await page.request.get(`${E2E.gatewayUrl}/api/cameras/${id}`);
    expect(res.status()).toBe(200);
    expect(((await res.json()) as { districtCode: string }).districtCode).toBe('320402');
  }
  expect(outside).toEqual([]);
});

test('a refusal is shown in words with the gateway code (admin: no video), in English too', async ({
  page,
  context,
}) => {
  const outside = await guardOffline(context);
  await login(page, 'admin');
  await page.goto('/map?lang=en');
  await expect(page.getByTestId('map')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Camera map');
  await page.getByTestId('camera-search').fill(SIM_QUERY);
  const first = page.getByTestId('camera-result').first();
  const cameraId = await first.getAttribute('data-camera-id');
  // What the gateway answers this user for that camera.
  const me = (await (await page.request.get(`${E2E.gatewayUrl}/api/me`)).json()) as { csrfToken: string };
  const live = await page.request.post(`${E2E.gatewayUrl}/api/cameras/${cameraId}/live`, {
    data: { profile: 'sub' },
    headers: { 'x-csrf-token': me.csrfToken, origin: E2E.webUrl },
  });
  expect(live.status()).toBe(403);
  const { code } = (await live.json()) as { code: string };
  expect(code).toMatch(/^forbidden:/);

  await first.click();
  const denied = page.getByTestId('camera-preview').getByTestId('preview-denied');
  await expect(denied).toHaveAttribute('data-code', code);
  await expect(denied).toContainText(`(${code})`);
  await expect(page.getByTestId('preview-live')).toBeDisabled();
  expect(outside).toEqual([]);
});
