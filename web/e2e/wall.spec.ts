import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { E2E } from '../playwright.config';
import {
  apiAs,
  type CameraItem,
  cameras,
  command,
  createWall,
  SHOTS,
  signIn as signInAs,
  tile,
  type Wall,
} from './wall-support';

// The video wall (issue 5): console (/walls/:id), display (/walls/:id/display), tiles playing live
// WebRTC through ONE receive transport per page, kept in sync through the gateway's socket.io
// rooms. Everything runs against the launcher-backed platform of playwright.config.ts (16
// simulated cameras). Decoded frames are counted with requestVideoFrameCallback in the page.

/**
 * Test-side probe: wraps RTCPeerConnection to count the page's peer connections (mediasoup-client
 * may open a short-lived one to read the browser's capabilities; it closes it at once).
 */
const PC_PROBE = `(() => {
  const Orig = window.RTCPeerConnection;
  if (!Orig || window.__pcs) return;
  const pcs = [];
  window.__pcs = pcs;
  function Wrapped(...args) {
    const pc = new Orig(...args);
    const rec = { closed: false, state: 'new', connected: false };
    pcs.push(rec);
    pc.addEventListener('connectionstatechange', () => {
      rec.state = pc.connectionState;
      if (pc.connectionState === 'connected') rec.connected = true;
      if (pc.connectionState === 'closed') rec.closed = true;
    });
    const close = pc.close.bind(pc);
    pc.close = () => { rec.closed = true; close(); };
    return pc;
  }
  Wrapped.prototype = Orig.prototype;
  Object.setPrototypeOf(Wrapped, Orig);
  window.RTCPeerConnection = Wrapped;
})();`;

interface PcRec {
  closed: boolean;
  state: string;
  connected: boolean;
}

const pcs = (page: Page) =>
  page.evaluate(() => [...((window as unknown as { __pcs?: PcRec[] }).__pcs ?? [])]);

const signIn = (browser: Browser, username: string) =>
  signInAs(browser, username, { initScripts: [PC_PROBE] });

/** Records (in the page, wall-clock ms) every change of tile i's camera, state and profile. */
async function watchTile(page: Page, i: number): Promise<void> {
  await page.evaluate((index) => {
    type Entry = { at: number; camera: string; state: string; profile: string };
    const w = window as unknown as { __tileLog?: Record<number, Entry[]> };
    w.__tileLog ??= {};
    const log: Entry[] = [];
    w.__tileLog[index] = log;
    const record = () => {
      const el = document.querySelector(`[data-testid="wall-tile"][data-index="${index}"]`);
      if (!el) return;
      const e: Entry = {
        at: Date.now(),
        camera: el.getAttribute('data-camera-id') ?? '',
        state: el.getAttribute('data-state') ?? '',
        profile: el.getAttribute('data-profile') ?? '',
      };
      const last = log[log.length - 1];
      if (!last || last.camera !== e.camera || last.state !== e.state || last.profile !== e.profile)
        log.push(e);
    };
    record();
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-camera-id', 'data-state', 'data-profile'],
    });
  }, i);
}

type TileLogEntry = { at: number; camera: string; state: string; profile: string };
const tileLog = (page: Page, i: number) =>
  page.evaluate((index) => {
    const w = window as unknown as { __tileLog?: Record<number, TileLogEntry[]> };
    return [...(w.__tileLog?.[index] ?? [])];
  }, i);

interface Frames {
  frames: number;
  /** Frames the video decoded meanwhile (getVideoPlaybackQuality: presented or dropped). */
  decoded: number;
  width: number;
  height: number;
  videoWidth: number;
  videoHeight: number;
}

/** Frames tile i's front video presents during `ms` (requestVideoFrameCallback), and their size. */
async function decodedFrames(page: Page, i: number, ms = 1200): Promise<Frames> {
  return tile(page, i)
    .locator('video[data-active="true"]')
    .evaluate(
      (v: HTMLVideoElement, duration) =>
        new Promise<Frames>((resolve) => {
          let frames = 0;
          let width = 0;
          let height = 0;
          const start = performance.now();
          const decoded0 = v.getVideoPlaybackQuality().totalVideoFrames;
          const done = () =>
            resolve({
              frames,
              decoded: v.getVideoPlaybackQuality().totalVideoFrames - decoded0,
              width,
              height,
              videoWidth: v.videoWidth,
              videoHeight: v.videoHeight,
            });
          const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
            frames++;
            width = meta.width;
            height = meta.height;
            if (performance.now() - start < duration) v.requestVideoFrameCallback(onFrame);
            else done();
          };
          v.requestVideoFrameCallback(onFrame);
          setTimeout(done, duration + 1500);
        }),
      ms,
    );
}

async function expectPlaying(
  page: Page,
  i: number,
  size: { width: number; height: number },
): Promise<Frames> {
  const f = await decodedFrames(page, i);
  // 25 fps sources: well over 10 frames in 1.2 s even on a loaded machine.
  expect(f.frames, `tile ${i} decoded frames`).toBeGreaterThanOrEqual(10);
  expect({ width: f.width, height: f.height }).toEqual(size);
  expect({ width: f.videoWidth, height: f.videoHeight }).toEqual(size);
  return f;
}

const SUB = { width: 640, height: 360 };
const MAIN = { width: 1280, height: 720 };

test.describe.configure({ mode: 'serial' });

test('eoc.operator sends a simulated camera from the map to tile 0: live within 3 s; a display follows within 1 s and plays it', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const consoleSide = await signIn(browser, 'eoc.operator');
  const page = consoleSide.page;
  // The demo wall of the user's command room is listed.
  await expect(page.getByTestId('wall-card').filter({ hasText: '市应急指挥中心' })).toHaveCount(1);

  // A wall of its own, made through the form; the form leads to its console.
  await page.getByTestId('create-wall-name').fill(`e2e 控制台 ${Date.now()}`);
  await page.getByTestId('create-wall-layout').selectOption('9');
  await page.getByTestId('create-wall-submit').click();
  await expect(page).toHaveURL(/\/walls\/[0-9a-f-]{36}$/);
  const wallId = (new URL(page.url()).pathname.split('/')[2] ?? '').toLowerCase();
  await expect(page.locator('[data-testid="wall-tile"]')).toHaveCount(9);
  await expect(page.getByTestId('realtime-state')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('map')).toBeVisible();

  // A second browser context: the wall's display.
  const displaySide = await signIn(browser, 'eoc.operator');
  const display = displaySide.page;
  await display.goto(`/walls/${wallId}/display`);
  await expect(display.getByTestId('wall-display')).toHaveAttribute('data-connection', 'connected');
  await expect(display.locator('[data-testid="wall-tile"]')).toHaveCount(9);
  await watchTile(display, 0);
  await watchTile(page, 0);

  // Find a simulated camera: search, then its preview on the map.
  await page.getByTestId('camera-search').fill('模拟路口');
  const results = page.getByTestId('camera-result');
  await expect(results.first()).toBeVisible({ timeout: 10_000 });
  const cam = (await results.first().getAttribute('data-camera-id')) ?? '';
  expect(cam).toMatch(/^[0-9a-f-]{36}$/);
  const secondCam = (await results.nth(1).getAttribute('data-camera-id')) ?? '';
  await results.first().click();
  // Escape closes the result list (it lies over the map).
  await page.getByTestId('camera-search').press('Escape');
  await expect(results).toHaveCount(0);
  const preview = page.getByTestId('camera-preview');
  await expect(preview).toHaveAttribute('data-camera-id', cam, { timeout: 15_000 });

  // "Send to wall": no tile is selected, so it goes to the first free tile (0). The clock starts
  // at the click as the page receives it (wall-clock ms, the same clock as the display's).
  await page.evaluate(() => {
    document.addEventListener(
      'click',
      (e) => {
        if ((e.target as Element | null)?.closest('[data-testid="send-to-wall"]')) {
          (window as unknown as { __sentAt?: number }).__sentAt = Date.now();
        }
      },
      true,
    );
  });
  await preview.getByTestId('send-to-wall').click();
  const sentAt = await page.evaluate(() => (window as unknown as { __sentAt?: number }).__sentAt ?? 0);
  expect(sentAt).toBeGreaterThan(0);
  await expect(tile(page, 0)).toHaveAttribute('data-camera-id', cam, { timeout: 2000 });
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'live', { timeout: 5000 });
  const consoleLive = (await tileLog(page, 0)).find((e) => e.camera === cam && e.state === 'live');
  expect(consoleLive, 'console tile 0 went live').toBeDefined();
  const consoleLiveMs = (consoleLive?.at ?? Number.POSITIVE_INFINITY) - sentAt;
  test.info().annotations.push({
    type: 'console: send → first decoded frame (ms)',
    description: String(consoleLiveMs),
  });
  expect(consoleLiveMs).toBeLessThan(3000);
  await expect(tile(page, 0)).toHaveAttribute('data-profile', 'sub');
  await expectPlaying(page, 0, SUB);

  // The display got the change through the wall's room within 1 s, and plays it too.
  await expect(tile(display, 0)).toHaveAttribute('data-camera-id', cam, { timeout: 2000 });
  const displaySeen = (await tileLog(display, 0)).find((e) => e.camera === cam);
  const displayMs = (displaySeen?.at ?? Number.POSITIVE_INFINITY) - sentAt;
  test.info().annotations.push({ type: 'display: send → tile changed (ms)', description: String(displayMs) });
  expect(displayMs).toBeLessThan(1000);
  await expect(tile(display, 0)).toHaveAttribute('data-state', 'live', { timeout: 5000 });
  await expectPlaying(display, 0, SUB);

  // The overlay names the camera, its district and grade.
  await expect(tile(page, 0)).toContainText('模拟路口');
  await expect(tile(page, 0).getByTestId('tile-grade')).toHaveText('1级');
  await page.screenshot({ path: join(SHOTS, 'console.png') });
  await display.screenshot({ path: join(SHOTS, 'display.png') });

  // Drag a second camera from the search results onto tile 1; the display follows.
  const second = secondCam;
  expect(second).not.toBe(cam);
  await page.getByTestId('camera-search').fill('模拟路口');
  const secondResult = page.locator(`[data-testid="camera-result"][data-camera-id="${second}"]`);
  await secondResult.dragTo(tile(page, 1));
  await expect(tile(page, 1)).toHaveAttribute('data-camera-id', second);
  await expect(tile(display, 1)).toHaveAttribute('data-camera-id', second);
  await expect(tile(page, 1)).toHaveAttribute('data-state', 'live', { timeout: 8000 });

  // Swap by dragging tile 1 onto tile 0, on every page.
  await tile(page, 1).dragTo(tile(page, 0));
  await expect(tile(page, 0)).toHaveAttribute('data-camera-id', second);
  await expect(tile(page, 1)).toHaveAttribute('data-camera-id', cam);
  await expect(tile(display, 0)).toHaveAttribute('data-camera-id', second);
  await expect(tile(display, 1)).toHaveAttribute('data-camera-id', cam);
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'live', { timeout: 8000 });

  // Full screen (double-click): the main stream starts behind the sub one and replaces it on its
  // first decoded frame — the tile never leaves `live` (no black frame).
  await watchTile(page, 0);
  await tile(page, 0).dblclick();
  await expect(tile(page, 0)).toHaveAttribute('data-fullscreen', 'true');
  await expect(tile(page, 0)).toHaveAttribute('data-profile', 'main', { timeout: 10_000 });
  await expectPlaying(page, 0, MAIN);
  const duringSwitch = await tileLog(page, 0);
  expect(duringSwitch.map((e) => e.state)).toEqual(duringSwitch.map(() => 'live'));
  await page.screenshot({ path: join(SHOTS, 'console-fullscreen.png') });
  // Escape leaves full screen; the tile goes back to the sub stream, again without a gap.
  await page.keyboard.press('Escape');
  await expect(tile(page, 0)).not.toHaveAttribute('data-fullscreen', 'true');
  await expect(tile(page, 0)).toHaveAttribute('data-profile', 'sub', { timeout: 10_000 });
  await expectPlaying(page, 0, SUB);
  expect((await tileLog(page, 0)).every((e) => e.state === 'live')).toBe(true);

  // Delete clears the selected tile (tile 0 was selected by the double-click), everywhere.
  await page.keyboard.press('Delete');
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'idle');
  await expect(tile(display, 0)).toHaveAttribute('data-state', 'idle');

  // One receive transport for the whole console page (however many tiles and profiles).
  const consolePcs = await pcs(page);
  expect(consolePcs.filter((p) => !p.closed)).toHaveLength(1);
  expect(consolePcs.filter((p) => p.connected)).toHaveLength(1);
  expect((await pcs(display)).filter((p) => !p.closed)).toHaveLength(1);

  await displaySide.context.close();
  await consoleSide.context.close();
});

test('a 16-tile wall of 16 cameras: every tile live, one receive transport', async ({ browser }) => {
  test.setTimeout(150_000);
  const a = await apiAs('eoc.operator');
  const sims = await cameras(a.api, `q=${encodeURIComponent('模拟路口')}&state=in_service&limit=100`);
  expect(sims).toHaveLength(16);
  const wall = await createWall(a, `e2e 16 画面 ${Date.now()}`, '9');

  const { context, page } = await signIn(browser, 'eoc.operator');
  await page.goto(`/walls/${wall.id}`);
  await expect(page.locator('[data-testid="wall-tile"]')).toHaveCount(9);
  await expect(page.getByTestId('realtime-state')).toHaveAttribute('data-state', 'connected');

  // The help overlay lists the shortcuts; Shift+4 switches to the 16-tile layout.
  await page.keyboard.press('?');
  await expect(page.getByTestId('help-dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('help-dialog')).toHaveCount(0);
  await page.keyboard.press('Shift+Digit4');
  await expect(page.locator('[data-testid="wall-tile"]')).toHaveCount(16);
  await expect(page.getByTestId('wall-grid')).toHaveAttribute('data-layout', '16');
  const after = (await (await a.api.get(`/api/walls/${wall.id}`)).json()) as Wall;
  expect({ layout: after.layout, version: after.version, tiles: after.tiles.length }).toEqual({
    layout: '16',
    version: 1,
    tiles: 16,
  });

  // 16 different cameras, one per tile (over HTTP, as another console would), then the console
  // is opened: the time until every tile is live is measured from the navigation.
  await page.goto('/walls');
  let version = after.version;
  const commandMs: number[] = [];
  for (const [index, cam] of sims.entries()) {
    const t0 = Date.now();
    const r = await command(a, wall.id, { type: 'assign', version, index, cameraId: cam.id });
    commandMs.push(Date.now() - t0);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    version = r.body.version as number;
  }
  const started = Date.now();
  await page.goto(`/walls/${wall.id}`);
  for (let i = 0; i < 16; i++) {
    await expect(tile(page, i)).toHaveAttribute('data-camera-id', sims[i]?.id ?? '');
  }
  for (let i = 0; i < 16; i++) {
    await expect(tile(page, i)).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  }
  const allLiveMs = Date.now() - started;
  test
    .info()
    .annotations.push(
      { type: '16 tiles: console opened → all live (ms)', description: String(allLiveMs) },
      { type: 'assign command over HTTP (ms each)', description: commandMs.join(',') },
    );
  console.log(
    `16 tiles: console opened → all live ${allLiveMs} ms; assign commands ${commandMs.join(',')} ms`,
  );
  for (let i = 0; i < 16; i++) await expect(tile(page, i)).toHaveAttribute('data-profile', 'sub');
  // All 16 at once for 3 s: every tile decodes and presents frames of the sub stream's size.
  // (Decoding and presenting 16 videos at 25 fps is much for software decoding and compositing on
  // 2 cores shared with the cameras, relays and SFU: the rates are reported here and measured by
  // bench/wall; the bounds only say the video keeps coming on every tile. A CI run saw a tile decode
  // 24 frames in 3 s (8 fps) just after the 16 streams had started, so the window opens after a
  // short settle and the bound is 5 fps: a stalled or frozen tile still decodes none.)
  await page.waitForTimeout(2000);
  const all = await Promise.all(Array.from({ length: 16 }, (_, i) => decodedFrames(page, i, 3000)));
  test
    .info()
    .annotations.push(
      { type: '16 tiles: frames presented per tile in 3 s', description: all.map((f) => f.frames).join(',') },
      { type: '16 tiles: frames decoded per tile in 3 s', description: all.map((f) => f.decoded).join(',') },
    );
  console.log(`16 tiles: decoded per tile in 3 s ${all.map((f) => f.decoded).join(',')}`);
  for (const [i, f] of all.entries()) {
    expect(f.decoded, `tile ${i} decoded frames in 3 s`).toBeGreaterThanOrEqual(15);
    expect(f.frames, `tile ${i} presented frames in 3 s`).toBeGreaterThanOrEqual(3);
    expect({ tile: i, width: f.width, height: f.height }).toEqual({ tile: i, ...SUB });
    expect({ tile: i, width: f.videoWidth, height: f.videoHeight }).toEqual({ tile: i, ...SUB });
  }
  const list = await pcs(page);
  expect(list.filter((p) => !p.closed)).toHaveLength(1);
  expect(list.filter((p) => p.connected)).toHaveLength(1);
  await page.screenshot({ path: join(SHOTS, 'wall16.png') });

  await context.close();
  await a.close();
});

test('a stalled stream shows it and recovers by itself', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const a = await apiAs('eoc.operator');
  const sims = await cameras(a.api, `q=${encodeURIComponent('模拟路口')}&state=in_service&limit=100`);
  const cam = sims[sims.length - 1];
  expect(cam).toBeDefined();
  const wall = await createWall(a, `e2e 中断 ${Date.now()}`, '4');
  const r = await command(a, wall.id, { type: 'assign', version: 0, index: 0, cameraId: cam?.id });
  expect(r.status, JSON.stringify(r.body)).toBe(200);

  const { context, page } = await signIn(browser, 'eoc.operator');
  await page.goto(`/walls/${wall.id}`);
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'live', { timeout: 15_000 });
  await expectPlaying(page, 0, SUB);

  // The media node drops the stream (as when its ingest dies): the tile says so at once…
  const secrets = JSON.parse(readFileSync(join(E2E.dataDir, 'secrets.json'), 'utf8')) as {
    mediaControlSecret: string;
  };
  const dropped = await request.delete(`${E2E.mediaUrl}/control/ingest/${cam?.id}/sub`, {
    headers: { authorization: `Bearer ${secrets.mediaControlSecret}` },
  });
  expect(dropped.status()).toBe(204);
  const droppedAt = Date.now();
  await expect(tile(page, 0)).toHaveAttribute('data-stalled', 'true', { timeout: 5000 });
  await expect(tile(page, 0).getByTestId('tile-stalled')).toContainText('信号中断');
  // …keeps the last picture, and comes back by itself (a fresh token makes the gateway ingest it
  // again), in the same receive transport.
  await expect(tile(page, 0)).not.toHaveAttribute('data-stalled', 'true', { timeout: 30_000 });
  const recoveredMs = Date.now() - droppedAt;
  test
    .info()
    .annotations.push({ type: 'stream dropped → picture back (ms)', description: String(recoveredMs) });
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'live');
  await expectPlaying(page, 0, SUB);
  expect((await pcs(page)).filter((p) => !p.closed)).toHaveLength(1);

  await context.close();
  await a.close();
});

test('signing out ends the session’s running streams within 2 s, and the tile says why', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const a = await apiAs('eoc.operator');
  const sims = await cameras(a.api, `q=${encodeURIComponent('模拟路口')}&state=in_service&limit=100`);
  const cam = sims[0];
  expect(cam).toBeDefined();
  const wall = await createWall(a, `e2e 退出 ${Date.now()}`, '4');
  const r = await command(a, wall.id, { type: 'assign', version: 0, index: 0, cameraId: cam?.id });
  expect(r.status, JSON.stringify(r.body)).toBe(200);

  const { context, page } = await signIn(browser, 'eoc.operator');
  await page.goto(`/walls/${wall.id}`);
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'live', { timeout: 15_000 });
  await expectPlaying(page, 0, SUB);

  // The same session signs out in another tab: the media node closes the stream it allowed.
  const other = await context.newPage();
  await other.goto('/walls');
  const signedOutAt = Date.now();
  await other.getByTestId('logout').click();
  await expect(other).toHaveURL(/\/login/, { timeout: 10_000 });
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'denied', { timeout: 5000 });
  const cutMs = Date.now() - signedOutAt;
  test.info().annotations.push({ type: 'sign-out → tile stopped (ms)', description: String(cutMs) });
  expect(cutMs).toBeLessThan(2000 + 3000); // 2 s on the node, plus the click and navigation
  await expect(tile(page, 0)).toHaveAttribute('data-error', 'revoked:signed_out');
  await expect(tile(page, 0).getByTestId('tile-error')).toContainText('已退出登录');
  // No picture is decoded any more.
  const video = tile(page, 0).locator('video').first();
  const frames = async () =>
    video.evaluate((v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames);
  const before = await frames();
  await page.waitForTimeout(1000);
  expect(await frames()).toBe(before);

  await context.close();
  await a.close();
});

test('tianning.staff sees only 天宁区 cameras within clearance 2; a denied pull shows the reason in words', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const staff = await apiAs('tianning.staff');
  const eoc = await apiAs('eoc.operator');

  // What the gateway lists for them: 天宁区 only, grade ≤ 2 (the search pages through everything).
  const all: CameraItem[] = [];
  let cursor: string | null = null;
  do {
    const res = await staff.api.get(
      `/api/cameras?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status()).toBe(200);
    const body = (await res.json()) as { items: CameraItem[]; nextCursor: string | null };
    all.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  expect(all.length).toBeGreaterThan(0);
  expect(new Set(all.map((c) => c.districtCode))).toEqual(new Set(['320402']));
  expect(all.every((c) => c.grade <= 2)).toBe(true);

  // A grade-3 camera of 天宁区 (found by the city user) cannot even be put on their wall.
  const secret = (await cameras(eoc.api, 'district=320402&grade=3,4&limit=5'))[0];
  expect(secret, 'a grade ≥ 3 camera in 天宁区').toBeDefined();
  const wall = await createWall(staff, `e2e 天宁 ${Date.now()}`, '4');
  const refused = await command(staff, wall.id, {
    type: 'assign',
    version: 0,
    index: 0,
    cameraId: secret?.id,
  });
  expect(refused.status).toBe(403);
  expect(refused.body.code).toBe('forbidden:grade');

  // A 天宁区 camera they may catalogue but not watch (registered, not accepted: Art. 14).
  const notInService = all.find((c) => c.state === 'registered' || c.state === 'removed');
  expect(notInService, 'a 天宁区 camera that is not in service').toBeDefined();
  const liveCam = all.find((c) => c.name.includes('模拟路口') && c.state === 'in_service');
  expect(liveCam, 'a simulated 天宁区 camera').toBeDefined();

  const { context, page } = await signIn(browser, 'tianning.staff');
  await expect(page.getByTestId('top-tier')).toContainText('天宁区');
  await expect(page.getByTestId('top-clearance')).toHaveText('密级 2');
  await page.goto(`/walls/${wall.id}`);
  await expect(page.locator('[data-testid="wall-tile"]')).toHaveCount(4);
  await expect(page.getByTestId('realtime-state')).toHaveAttribute('data-state', 'connected');

  // The search finds only 天宁区 cameras within their clearance.
  await page.getByTestId('camera-search').fill('区');
  const results = page.getByTestId('camera-result');
  await expect(results.first()).toBeVisible({ timeout: 10_000 });
  const ids = await results.evaluateAll((els) => els.map((e) => e.getAttribute('data-camera-id') ?? ''));
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids) {
    const res = await staff.api.get(`/api/cameras/${id}`);
    expect(res.status()).toBe(200);
    const c = (await res.json()) as CameraItem;
    expect(c.districtCode).toBe('320402');
    expect(c.grade).toBeLessThanOrEqual(2);
  }
  await page.getByTestId('camera-search').fill('钟楼区');
  await expect(page.getByText('无匹配摄像机')).toBeVisible({ timeout: 10_000 });
  await expect(results).toHaveCount(0);

  // Select tile 1, then pick the camera that is not in service: the live view is denied, and the
  // tile says why, in words.
  await tile(page, 0).click();
  await expect(tile(page, 0)).toHaveAttribute('data-selected', 'true');
  await page.getByTestId('camera-search').fill(notInService?.name ?? '');
  const match = page.locator(`[data-testid="camera-result"][data-camera-id="${notInService?.id}"]`);
  await expect(match).toBeVisible({ timeout: 10_000 });
  await match.click();
  await expect(tile(page, 0)).toHaveAttribute('data-camera-id', notInService?.id ?? '');
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'denied', { timeout: 10_000 });
  await expect(tile(page, 0)).toHaveAttribute('data-error', 'forbidden:state');
  await expect(tile(page, 0).getByTestId('tile-error')).toContainText('未投入使用');

  // A camera they may watch plays next to it.
  const r = await command(staff, wall.id, {
    type: 'assign',
    version: ((await (await staff.api.get(`/api/walls/${wall.id}`)).json()) as Wall).version,
    index: 1,
    cameraId: liveCam?.id,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  await expect(tile(page, 1)).toHaveAttribute('data-state', 'live', { timeout: 10_000 });
  await expectPlaying(page, 1, SUB);
  await page.screenshot({ path: join(SHOTS, 'console-tianning.png') });

  // In English, the reason is in English.
  await page.goto(`/walls/${wall.id}?lang=en`);
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'denied', { timeout: 10_000 });
  await expect(tile(page, 0).getByTestId('tile-error')).toContainText('not in service');

  await context.close();
  await staff.close();
  await eoc.close();
});

test('a tour cycles alike on the console and the display; "pull nearest" fills the free tiles from a point on the map', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const a = await apiAs('eoc.operator');
  const wall = await createWall(a, `e2e 轮巡 ${Date.now()}`, '4');
  const consoleSide = await signIn(browser, 'eoc.operator');
  const page = consoleSide.page;
  await page.goto(`/walls/${wall.id}`);
  await expect(page.getByTestId('realtime-state')).toHaveAttribute('data-state', 'connected');
  const displaySide = await signIn(browser, 'eoc.operator');
  const display = displaySide.page;
  await display.goto(`/walls/${wall.id}/display`);
  await expect(display.getByTestId('wall-display')).toHaveAttribute('data-connection', 'connected');
  await watchTile(page, 0);
  await watchTile(display, 0);

  // Tile 1 selected, T: two simulated cameras, 8 s each.
  await tile(page, 0).click();
  await page.keyboard.press('t');
  const dialog = page.getByTestId('tour-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('tour-search').fill('模拟路口');
  const boxes = dialog.getByTestId('tour-camera');
  // The search answers the 16 simulated cameras (the list before it had 30 of any kind).
  await expect(boxes).toHaveCount(16, { timeout: 10_000 });
  const tourCams = [
    (await boxes.nth(0).getAttribute('data-camera-id')) ?? '',
    (await boxes.nth(1).getAttribute('data-camera-id')) ?? '',
  ];
  for (const id of tourCams)
    await dialog.locator(`[data-testid="tour-camera"][data-camera-id="${id}"]`).check();
  await dialog.getByTestId('tour-interval').fill('8');
  await dialog.getByTestId('tour-start').click();
  await expect(dialog).toHaveCount(0);

  // The tile shows one camera of the tour, then the other, on both pages at the same moments.
  await expect(tile(page, 0)).toHaveAttribute('data-camera-id', new RegExp(`^(${tourCams.join('|')})$`));
  const first = (await tile(page, 0).getAttribute('data-camera-id')) ?? '';
  const next = tourCams.find((c) => c !== first) ?? '';
  await expect(tile(page, 0)).toHaveAttribute('data-camera-id', next, { timeout: 10_000 });
  await expect(tile(display, 0)).toHaveAttribute('data-camera-id', next, { timeout: 2000 });
  const switchedAt = async (p: Page) => (await tileLog(p, 0)).find((e) => e.camera === next)?.at ?? 0;
  const skewMs = Math.abs((await switchedAt(page)) - (await switchedAt(display)));
  test.info().annotations.push({ type: 'tour switch, console vs display (ms)', description: String(skewMs) });
  expect(skewMs).toBeLessThan(1000);
  // The next camera was asked for before its turn (the node had it ready): live well within it.
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'live', { timeout: 6000 });
  const liveAt = (await tileLog(page, 0)).find((e) => e.camera === next && e.state === 'live')?.at ?? 0;
  test.info().annotations.push({
    type: 'tour switch → live (ms)',
    description: String(liveAt - (await switchedAt(page))),
  });

  // Pull nearest: pick a point on the map; the three free tiles get three different cameras.
  await expect(page.getByTestId('map')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 });
  await page.keyboard.press('Escape');
  await page.getByTestId('pull-nearest').click();
  await expect(page.getByTestId('map')).toHaveAttribute('data-picking', 'true');
  const box = await page.getByTestId('map').boundingBox();
  expect(box).not.toBeNull();
  await page.mouse.click((box?.x ?? 0) + (box?.width ?? 0) / 2, (box?.y ?? 0) + (box?.height ?? 0) * 0.6);
  await expect(page.getByTestId('console-message')).toHaveText('已填入 3 路', { timeout: 15_000 });
  const pulled: string[] = [];
  for (const i of [1, 2, 3]) {
    const id = (await tile(page, i).getAttribute('data-camera-id')) ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    pulled.push(id);
    await expect(tile(display, i)).toHaveAttribute('data-camera-id', id);
  }
  expect(new Set(pulled).size).toBe(3);
  // The tour's tile was not free: it still tours.
  await expect(tile(page, 0)).toHaveAttribute('data-camera-id', new RegExp(`^(${tourCams.join('|')})$`));
  await page.screenshot({ path: join(SHOTS, 'console-tour-pull.png') });

  await displaySide.context.close();
  await consoleSide.context.close();
  await a.close();
});

test('a GB/T 28181 channel of the simulated platform plays on a tile, like an RTSP camera', async ({
  browser,
}) => {
  const eoc = await apiAs('eoc.operator');
  try {
    // The launcher's simulated GB platform files its catalogue (6 channels in 天宁区) after it
    // registers; wait for the channels to be in the registry.
    let gb: CameraItem[] = [];
    await expect
      .poll(
        async () => {
          gb = (await cameras(eoc.api, 'district=320402&limit=500')).filter(
            (c) => c.sourceKind === 'gb28181' && (c.state === 'accepted' || c.state === 'in_service'),
          );
          return gb.length;
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0);
    const camera = gb[0] as CameraItem;
    const wall = await createWall(eoc, `e2e GB ${Date.now()}`, '4');
    const assigned = await command(eoc, wall.id, {
      type: 'assign',
      index: 0,
      cameraId: camera.id,
      version: wall.version,
    });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    const { context, page } = await signIn(browser, 'eoc.operator');
    try {
      await page.goto(`/walls/${wall.id}`);
      await expect(tile(page, 0)).toHaveAttribute('data-camera-id', camera.id);
      await expect(tile(page, 0)).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
      // The simulator's clip is 640×360: PS over RTP → demux → H.264 RTP → mediasoup → Chromium.
      await expectPlaying(page, 0, SUB);
    } finally {
      await context.close();
    }
  } finally {
    await eoc.close();
  }
});
