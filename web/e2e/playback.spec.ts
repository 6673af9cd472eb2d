import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  expect,
  type Page,
  request as playwrightRequest,
  test,
} from '@playwright/test';
import { E2E } from '../playwright.config';

// Playback of recordings (issue 13) against the launcher's stack: its time-strip cameras
// (SIM_STRIP_CAMERAS, rtsp-sim.py --time-strip: the capture time in ms is written into every
// frame) are recorded continuously (RECORDING_PLAN=time_strip, sub stream). A certified police user
// clicks a time T on the timeline; the first frames the page presents carry a capture time within
// 1 s of T (read from the picture with the simulator's strip reader, infra/cameras/time-strip.js).

const STRIP_READER = join(import.meta.dirname, '..', '..', 'infra', 'cameras', 'time-strip.js');
const SHOTS = '/tmp/shots';
const TZ = 'Asia/Shanghai';

function demoPassword(): string {
  return (
    JSON.parse(readFileSync(join(E2E.dataDir, 'demo-credentials.json'), 'utf8')) as { password: string }
  ).password;
}

async function apiAs(username: string): Promise<APIRequestContext> {
  const api = await playwrightRequest.newContext({
    baseURL: E2E.gatewayUrl,
    extraHTTPHeaders: { origin: E2E.webUrl },
  });
  const res = await api.post('/api/auth/login', { data: { username, password: demoPassword() } });
  expect(res.status(), await res.text()).toBe(200);
  return api;
}

async function signIn(browser: Browser, username: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: E2E.webUrl,
    viewport: { width: 1440, height: 900 },
    timezoneId: TZ,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  await context.addInitScript({ path: STRIP_READER });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(demoPassword());
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/walls$/, { timeout: 15_000 });
  return { context, page };
}

/** Recorded ms of the camera's sub stream in the last 10 minutes. */
async function recordedMs(api: APIRequestContext, cameraId: string): Promise<number> {
  const to = Date.now();
  const q = `profile=sub&from=${new Date(to - 600_000).toISOString()}&to=${new Date(to).toISOString()}`;
  const res = await api.get(`/api/cameras/${cameraId}/recordings?${q}`);
  expect(res.status(), await res.text()).toBe(200);
  const body = (await res.json()) as { ranges: { from: string; to: string }[] };
  return body.ranges.reduce((sum, r) => sum + Date.parse(r.to) - Date.parse(r.from), 0);
}

interface StripSample {
  capture: number;
  /** The page's frame time (player.presentedTime()) when it was presented, ms. */
  frameMs: number | null;
}

/** Capture times of the next `n` presented frames whose strip reads (after `start()` is awaited). */
function nextFrames(page: Page, n: number, timeoutMs = 20_000): Promise<StripSample[]> {
  return page.evaluate(
    ({ n, timeoutMs }) =>
      new Promise<StripSample[]>((resolve, reject) => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="playback-video"]');
        if (!video) {
          reject(new Error('no video'));
          return;
        }
        const out: StripSample[] = [];
        const strip = (
          globalThis as unknown as {
            wallTimeStrip: { read(v: HTMLVideoElement, w: number, h: number): { capture?: number } };
          }
        ).wallTimeStrip;
        const timer = setTimeout(() => reject(new Error(`only ${out.length} frames read`)), timeoutMs);
        const onFrame = (_t: number, meta: VideoFrameCallbackMetadata) => {
          const r = strip.read(video, meta.width, meta.height);
          if (r.capture !== undefined) out.push({ capture: r.capture, frameMs: null });
          if (out.length >= n) {
            clearTimeout(timer);
            resolve(out);
          } else video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      }),
    { n, timeoutMs },
  );
}

/** Clicks the timeline at wall-clock time `t` (the view's start and span are on the track). */
async function clickAt(page: Page, t: number): Promise<void> {
  const track = page.getByTestId('timeline');
  await track.scrollIntoViewIfNeeded();
  const start = Number(await track.getAttribute('data-view-start'));
  const span = Number(await track.getAttribute('data-view-span'));
  const box = await track.boundingBox();
  if (!box) throw new Error('no timeline');
  expect(t).toBeGreaterThan(start);
  expect(t).toBeLessThan(start + span);
  await page.mouse.click(box.x + ((t - start) / span) * box.width, box.y + box.height / 2);
}

test('a certified police user plays a time from the timeline: the picture is from that time; speed; copy time; zh and en', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const api = await apiAs('police.dispatcher');
  const found = await api.get(`/api/cameras?q=${encodeURIComponent('时间条模拟001')}&limit=5`);
  const camera = ((await found.json()) as { items: { id: string; name: string }[] }).items[0];
  expect(camera?.name).toBe('天宁区时间条模拟001');
  const cameraId = camera?.id ?? '';
  // The stack records from its start: wait for 30 s of recording.
  await expect
    .poll(() => recordedMs(api, cameraId), { timeout: 150_000, intervals: [2000] })
    .toBeGreaterThanOrEqual(30_000);
  await api.dispose();

  const { context, page } = await signIn(browser, 'police.dispatcher');
  await page.goto(`/cameras/${cameraId}/playback?profile=sub`);
  await expect(page.getByTestId('playback-camera-name')).toHaveText('天宁区时间条模拟001');
  await expect(page.getByTestId('timeline-range').first()).toBeVisible({ timeout: 15_000 });
  // Zoom to one minute with the keyboard (around now): 1 h → 15 min → 5 min → 1 min.
  for (let i = 0; i < 3; i++) await page.keyboard.press('+');
  await expect(page.getByTestId('zoom-span')).toHaveText('显示范围: 1 分钟');

  // Click T ≈ 15 s ago: the first presented frames carry T (±1 s).
  const T = Date.now() - 15_000;
  const first = nextFrames(page, 3);
  await clickAt(page, T);
  const frames = await first;
  for (const f of frames.slice(0, 1))
    expect(Math.abs(f.capture - T), `first frame ${f.capture - T} ms from T`).toBeLessThanOrEqual(1000);
  await expect(page.getByTestId('playback-video')).toHaveAttribute('data-state', 'playing');
  // The page's frame time is the picture's time (within the recording's capture-to-index delay).
  const shown = Number(await page.getByTestId('frame-time').getAttribute('data-ms'));
  expect(shown).toBeGreaterThan(T - 1000);

  // Speed 2×: over ~2 s of wall time the picture moves on ~4 s.
  await page.getByTestId('playback-speed-2').click();
  await expect(page.getByTestId('playback-speed-2')).toHaveAttribute('aria-pressed', 'true');
  expect(await page.getByTestId('playback-video').evaluate((v: HTMLVideoElement) => v.playbackRate)).toBe(2);
  const a = (await nextFrames(page, 1))[0]?.capture ?? 0;
  const wallA = Date.now();
  await page.waitForTimeout(2000);
  const b = (await nextFrames(page, 1))[0]?.capture ?? 0;
  const ratio = (b - a) / (Date.now() - wallA);
  expect(ratio, `picture advanced ${b - a} ms in ${Date.now() - wallA} ms`).toBeGreaterThan(1.5);
  expect(ratio).toBeLessThan(2.6);
  await page.keyboard.press('['); // back to 1×
  await expect(page.getByTestId('playback-speed-1')).toHaveAttribute('aria-pressed', 'true');

  // Copy time: paused, the copied time is the presented frame's (ms), the strip of that frame agrees.
  await page.keyboard.press(' ');
  await expect(page.getByTestId('playback-video')).toHaveAttribute('data-state', 'paused');
  await page.waitForTimeout(300);
  const still = await page.getByTestId('playback-video').evaluate((v: HTMLVideoElement) => {
    const strip = (
      globalThis as unknown as { wallTimeStrip: { read(v: HTMLVideoElement): { capture?: number } } }
    ).wallTimeStrip;
    return strip.read(v).capture ?? null;
  });
  expect(still).not.toBeNull();
  await page.getByTestId('copy-time').click();
  await expect(page.getByTestId('copied')).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  const copiedMs = Date.parse(`${copied.replace(' ', 'T')}+08:00`);
  expect(copiedMs).toBe(Number(await page.getByTestId('copied').getAttribute('data-ms')));
  expect(copiedMs).toBe(Number(await page.getByTestId('frame-time').getAttribute('data-ms')));
  expect(
    Math.abs(copiedMs - (still ?? 0)),
    `copied ${copiedMs - (still ?? 0)} ms from the picture`,
  ).toBeLessThanOrEqual(1000);

  // The shortcuts are listed in the help dialog.
  await page.keyboard.press('?');
  await expect(page.getByTestId('playback-help')).toBeVisible();
  await expect(page.getByTestId('playback-help')).toContainText('复制当前画面时间');
  await page.screenshot({ path: join(SHOTS, 'playback-help-zh.png') });
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('playback-help')).toBeHidden();
  await page.screenshot({ path: join(SHOTS, 'playback-zh.png') });

  // English: the same page, words and all.
  await page.goto(`/cameras/${cameraId}/playback?profile=sub&lang=en`);
  await expect(page.getByTestId('timeline-range').first()).toBeVisible({ timeout: 15_000 });
  for (let i = 0; i < 2; i++) await page.keyboard.press('+');
  await expect(page.getByTestId('zoom-span')).toHaveText('Showing: 5 min');
  const again = nextFrames(page, 1);
  await clickAt(page, Date.now() - 40_000);
  await again;
  await expect(page.getByTestId('playback-video')).toHaveAttribute('data-state', 'playing');
  await expect(page.getByTestId('copy-time')).toHaveText('Copy time');
  await page.screenshot({ path: join(SHOTS, 'playback-en.png') });

  // Jump to a typed date and time (J focuses the field; local time, whole seconds). Paused first:
  // the next frame presented is the jump's.
  await page.keyboard.press(' ');
  await expect(page.getByTestId('playback-video')).toHaveAttribute('data-state', 'paused');
  const J = Math.floor((Date.now() - 25_000) / 1000) * 1000;
  const local = new Date(J + 8 * 3_600_000).toISOString().slice(0, 19); // Asia/Shanghai, no DST
  await page.keyboard.press('j');
  await expect(page.getByTestId('jump-input')).toBeFocused();
  await page.getByTestId('jump-input').fill(local);
  const jumped = nextFrames(page, 1);
  await page.getByTestId('jump-go').click();
  const [j] = await jumped;
  expect(
    Math.abs((j?.capture ?? 0) - J),
    `jumped ${(j?.capture ?? 0) - J} ms from the typed time`,
  ).toBeLessThanOrEqual(1000);
  await context.close();
});

test('a user without the retrieval right is told so, in words and with the code', async ({ browser }) => {
  const api = await apiAs('police.dispatcher');
  const found = await api.get(`/api/cameras?q=${encodeURIComponent('时间条模拟002')}&limit=5`);
  const cameraId = ((await found.json()) as { items: { id: string }[] }).items[0]?.id ?? '';
  await api.dispose();
  const { context, page } = await signIn(browser, 'eoc.operator');
  await page.goto(`/cameras/${cameraId}/playback?profile=sub`);
  const refusal = page.getByTestId('playback-refusal');
  await expect(refusal).toHaveAttribute('data-code', 'forbidden:retrieval');
  await expect(refusal).toContainText('您无权调阅此摄像机的录像');
  await expect(page.getByTestId('timeline-range')).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, 'playback-refused-zh.png') });
  await page.goto(`/cameras/${cameraId}/playback?profile=sub&lang=en`);
  await expect(page.getByTestId('playback-refusal')).toContainText(
    'You may not view this camera’s recordings',
  );
  await context.close();
});

test('a damaged recording is said so and marked, and not played as something else', async ({ browser }) => {
  test.setTimeout(240_000);
  const api = await apiAs('police.dispatcher');
  const found = await api.get(`/api/cameras?q=${encodeURIComponent('时间条模拟003')}&limit=5`);
  const cameraId = ((await found.json()) as { items: { id: string }[] }).items[0]?.id ?? '';
  await expect
    .poll(() => recordedMs(api, cameraId), { timeout: 150_000, intervals: [2000] })
    .toBeGreaterThanOrEqual(50_000);
  await api.dispose();
  // Its segment files (RECORDING_DIR/<camera>/sub/<date>/<startMs>.mp4): one that started 20–45 s
  // ago, with the next one after it, gets bytes changed in its media (same size).
  const dir = join(E2E.dataDir, 'recordings', cameraId, 'sub');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.mp4'))
    .map((f) => ({ path: join(dir, f), start: Number(f.split('/').at(-1)?.replace('.mp4', '')) }))
    .sort((a, b) => a.start - b.start);
  const now = Date.now();
  const i = files.findIndex((f, k) => f.start >= now - 45_000 && f.start <= now - 20_000 && files[k + 1]);
  expect(i, 'a segment 20–45 s old').toBeGreaterThanOrEqual(0);
  const victim = files[i] as { path: string; start: number };
  const end = (files[i + 1] as { start: number }).start;
  const bytes = readFileSync(victim.path);
  for (let k = bytes.length - 200; k < bytes.length - 100; k++) bytes[k] = (bytes[k] ?? 0) ^ 0xff;
  writeFileSync(victim.path, bytes);

  const { context, page } = await signIn(browser, 'police.dispatcher');
  await page.goto(`/cameras/${cameraId}/playback?profile=sub`);
  await expect(page.getByTestId('timeline-range').first()).toBeVisible({ timeout: 15_000 });
  for (let k = 0; k < 3; k++) await page.keyboard.press('+');
  await expect(page.getByTestId('zoom-span')).toHaveText('显示范围: 1 分钟');
  await clickAt(page, victim.start + Math.min(500, (end - victim.start) / 2));
  const damaged = page.getByTestId('playback-damaged');
  await expect(damaged).toHaveAttribute('data-code', 'recording:damaged', { timeout: 15_000 });
  await expect(damaged).toContainText('此段录像已损坏');
  await expect(page.getByTestId('timeline-damaged')).toBeVisible();
  await expect(page.getByTestId('playback-video')).toHaveAttribute('data-state', 'damaged');
  // Nothing of another time was presented in its place.
  expect(await page.getByTestId('playback-video').evaluate((v: HTMLVideoElement) => v.paused)).toBe(true);
  await expect(page.getByTestId('frame-time')).toHaveAttribute('data-ms', '');
  await page.screenshot({ path: join(SHOTS, 'playback-damaged-zh.png') });
  await context.close();
});
