import { createPrivateKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type APIRequestContext, type Browser, expect, type Page, test } from '@playwright/test';
import { E2E } from '../playwright.config';

// Live view through the media node: the lab player page (/lab/player) speaks the viewer
// signalling (socket.io `/viewer`) and mediasoup-client; tokens are signed here with the key the
// launcher generated, exactly as the gateway will. The page is for signed-in users only (an
// anonymous request gets the login page: e2e/login.spec.ts): each page signs in first.

/** `ports.rtsp` in playwright.config.ts: the simulated cameras of the e2e stack. */
const RTSP_URL = 'rtsp://127.0.0.1:18754';
const NODE_ID = 'media-1';

interface Secrets {
  streamTokenPublicKey: string;
  streamTokenPrivateKey: string;
  mediaControlSecret: string;
}

let secretsCache: (Secrets & { key: KeyObject }) | undefined;
function secrets(): Secrets & { key: KeyObject } {
  if (!secretsCache) {
    const raw = JSON.parse(readFileSync(join(E2E.dataDir, 'secrets.json'), 'utf8')) as Secrets;
    const key = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.streamTokenPublicKey, d: raw.streamTokenPrivateKey },
      format: 'jwk',
    });
    secretsCache = { ...raw, key };
  }
  return secretsCache;
}

const b64url = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

function signClaims(claims: Record<string, unknown>): string {
  const signingInput = `${b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign(null, Buffer.from(signingInput), secrets().key).toString('base64url');
  return `${signingInput}.${signature}`;
}

function streamToken(cam: string, prof: 'main' | 'sub', overrides: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return signClaims({
    sub: 'e2e-viewer',
    cam,
    prof,
    aud: NODE_ID,
    iat: now,
    exp: now + 60,
    jti: randomUUID(),
    ...overrides,
  });
}

/** A correctly signed token whose payload is then changed (the signature no longer matches). */
function tamperedToken(cam: string): string {
  const [h, , s] = streamToken('cam01', 'sub').split('.');
  const now = Math.floor(Date.now() / 1000);
  const payload = b64url(
    JSON.stringify({
      sub: 'e2e-viewer',
      cam,
      prof: 'sub',
      aud: NODE_ID,
      iat: now,
      exp: now + 60,
      jti: randomUUID(),
    }),
  );
  return `${h}.${payload}.${s}`;
}

function demoPassword(): string {
  if (process.env.WALL_DEMO_PASSWORD) return process.env.WALL_DEMO_PASSWORD;
  const raw = JSON.parse(readFileSync(join(E2E.dataDir, 'demo-credentials.json'), 'utf8')) as {
    password: string;
  };
  return raw.password;
}

/** Signs the page's context in as a demo user (the lab page requires a session). */
async function signIn(page: Page, username = 'eoc.operator'): Promise<void> {
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(demoPassword());
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
  await page.getByTestId('login-submit').click();
  expect((await answer).status()).toBe(200);
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await page.waitForLoadState();
}

interface StreamStatus {
  cameraId: string;
  profile: 'main' | 'sub';
  state: string;
  viewers: number;
  width?: number;
  height?: number;
  restarts: number;
  timeline: Record<string, number>;
}

async function ensureIngest(request: APIRequestContext, cameraId: string, profile: 'main' | 'sub') {
  const res = await request.post(`${E2E.mediaUrl}/control/ingest`, {
    headers: { authorization: `Bearer ${secrets().mediaControlSecret}` },
    data: { cameraId, profile, source: { kind: 'rtsp', url: `${RTSP_URL}/${cameraId}/${profile}` } },
  });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as StreamStatus;
}

async function streams(request: APIRequestContext): Promise<StreamStatus[]> {
  const res = await request.get(`${E2E.mediaUrl}/control/streams`, {
    headers: { authorization: `Bearer ${secrets().mediaControlSecret}` },
  });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { streams: StreamStatus[] }).streams;
}

function playerUrl(tokens: string[]): string {
  const q = new URLSearchParams({ node: E2E.mediaUrl });
  for (const t of tokens) q.append('token', t);
  return `/lab/player?${q.toString()}`;
}

const frames = (page: Page, i: number) => page.evaluate((k) => window.__frames?.[k] ?? 0, i);
const resubscriptions = (page: Page, i: number) =>
  page.evaluate((k) => window.__resubscriptions?.[k] ?? 0, i);

function screenshotPath(name: string): string {
  return join(test.info().outputDir, '..', 'screenshots', name);
}

/** Opens the player and waits until tile `i` has decoded `min` frames; returns the first-frame time. */
async function openAndWaitFrames(page: Page, tokens: string[], tiles: number[], min = 10) {
  const started = Date.now();
  await page.goto(playerUrl(tokens));
  await expect(page.getByTestId('lab-note')).toBeVisible();
  const firstFrame: Record<number, number> = {};
  for (const i of tiles) {
    const tile = page.locator(`[data-testid="wall-tile"][data-index="${i}"]`);
    await expect(tile).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
    firstFrame[i] = Date.now() - started;
    await expect.poll(() => frames(page, i), { timeout: 20_000 }).toBeGreaterThanOrEqual(min);
  }
  const inPage = await page.evaluate(() => window.__firstFrameMs ?? []);
  return { wallClockMs: firstFrame, navigationToFirstFrameMs: inPage };
}

async function videoSize(page: Page, i: number) {
  return page
    .locator(`[data-testid="wall-tile"][data-index="${i}"]`)
    .evaluate((v: HTMLVideoElement) => ({ width: v.videoWidth, height: v.videoHeight }));
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: E2E.webUrl });
  const page = await context.newPage();
  await signIn(page);
  return page;
}

/** mediasoup workers of the e2e stack's media server only (not of a dev stack on this machine). */
function e2eWorkerPids(): number[] {
  const mediaPort = new URL(E2E.mediaUrl).port;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const bin = argv[0] ?? '';
      if (!(bin === 'mediasoup-worker' || bin.endsWith('/mediasoup-worker'))) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (argv.some((a) => a.startsWith('--rtcMinPort=41')) || env.includes(`MEDIA_PORT=${mediaPort}`)) {
        pids.push(Number(entry));
      }
    } catch {
      // the process went away meanwhile, or is not ours to read
    }
  }
  return pids;
}

test.describe('live view through the media node', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page);
  });

  test('a sub stream plays in two pages, sharing one ingest', async ({ page, request, browser }) => {
    await ensureIngest(request, 'cam01', 'sub');
    const timing = await openAndWaitFrames(page, [streamToken('cam01', 'sub')], [0]);
    console.log(`cam01/sub first frame: ${JSON.stringify(timing)}`);
    test.info().annotations.push({ type: 'first-frame cam01/sub', description: JSON.stringify(timing) });
    const tile = page.getByTestId('wall-tile').first();
    await expect(tile).toHaveAttribute('data-camera-id', 'cam01');
    expect(await videoSize(page, 0)).toEqual({ width: 640, height: 360 });
    expect(await page.evaluate(() => window.__frameSizes?.[0])).toEqual({ width: 640, height: 360 });
    await expect(page.getByTestId('tile-state').first()).toHaveText('直播中');
    await page.screenshot({ path: screenshotPath('live-sub-zh.png'), fullPage: true });

    const second = await newPage(browser);
    try {
      const timing2 = await openAndWaitFrames(second, [streamToken('cam01', 'sub')], [0]);
      console.log(`cam01/sub second viewer first frame: ${JSON.stringify(timing2)}`);
      expect(await videoSize(second, 0)).toEqual({ width: 640, height: 360 });
      await expect
        .poll(async () => (await streams(request)).filter((s) => s.cameraId === 'cam01'), { timeout: 10_000 })
        .toEqual([expect.objectContaining({ cameraId: 'cam01', profile: 'sub', viewers: 2 })]);
      // The first page keeps playing while the second one watches.
      const before = await frames(page, 0);
      await expect.poll(() => frames(page, 0), { timeout: 5_000 }).toBeGreaterThan(before + 5);
    } finally {
      await second.context().close();
    }
    // The second viewer left: the node counts one again.
    await expect
      .poll(async () => (await streams(request)).find((s) => s.cameraId === 'cam01')?.viewers, {
        timeout: 10_000,
      })
      .toBe(1);
  });

  test('a main stream plays at 1280x720', async ({ page, request }) => {
    await ensureIngest(request, 'cam02', 'main');
    const timing = await openAndWaitFrames(page, [streamToken('cam02', 'main')], [0]);
    console.log(`cam02/main first frame: ${JSON.stringify(timing)}`);
    test.info().annotations.push({ type: 'first-frame cam02/main', description: JSON.stringify(timing) });
    expect(await videoSize(page, 0)).toEqual({ width: 1280, height: 720 });
    expect(await page.evaluate(() => window.__frameSizes?.[0])).toEqual({ width: 1280, height: 720 });
    await page.screenshot({ path: screenshotPath('live-main.png'), fullPage: true });
    // Frames keep coming at about the source's 25 fps (lenient: a loaded CI machine).
    const f0 = await frames(page, 0);
    await page.waitForTimeout(2000);
    const fps = ((await frames(page, 0)) - f0) / 2;
    console.log(`cam02/main decoded ${fps} fps`);
    expect(fps).toBeGreaterThanOrEqual(15);
  });

  test('invalid tokens are refused with their code, and start no stream', async ({ page, request }) => {
    const now = Math.floor(Date.now() / 1000);
    const cases: { token: string; code: string }[] = [
      { token: streamToken('cam03', 'sub', { iat: now - 120, exp: now - 60 }), code: 'token:expired' },
      { token: streamToken('cam03', 'sub', { aud: 'media-2' }), code: 'token:node' },
      { token: tamperedToken('cam03'), code: 'token:signature' },
      { token: streamToken('cam03', 'sub', { exp: now + 3600 }), code: 'token:lifetime' },
      { token: 'not-a-token', code: 'token:malformed' },
    ];
    const before = (await streams(request)).filter((s) => s.cameraId === 'cam03');
    expect(before).toEqual([]);

    // Refused at the handshake: every tile of the page is refused on its own.
    await page.goto(playerUrl(cases.map((c) => c.token)));
    for (const [i, c] of cases.entries()) {
      const tile = page.locator(`[data-testid="wall-tile"][data-index="${i}"]`);
      await expect(tile).toHaveAttribute('data-state', 'error', { timeout: 15_000 });
      await expect(tile).toHaveAttribute('data-error', c.code);
    }
    await expect(page.getByTestId('tile-error')).toHaveCount(cases.length);
    await expect(page.getByTestId('tile-error').first()).toContainText('token:expired');
    await page.screenshot({ path: screenshotPath('live-invalid-tokens.png'), fullPage: true });

    // Refused at stream:consume, on a socket a valid token opened: only the bad tiles fail.
    await ensureIngest(request, 'cam01', 'sub');
    const consumeCases = cases.slice(0, 3);
    await page.goto(playerUrl([streamToken('cam01', 'sub'), ...consumeCases.map((c) => c.token)]));
    await expect(page.locator('[data-testid="wall-tile"][data-index="0"]')).toHaveAttribute(
      'data-state',
      'live',
      { timeout: 30_000 },
    );
    for (const [k, c] of consumeCases.entries()) {
      const tile = page.locator(`[data-testid="wall-tile"][data-index="${k + 1}"]`);
      await expect(tile).toHaveAttribute('data-state', 'error', { timeout: 15_000 });
      await expect(tile).toHaveAttribute('data-error', c.code);
    }
    await page.screenshot({ path: screenshotPath('live-mixed-tokens.png'), fullPage: true });
    expect((await streams(request)).filter((s) => s.cameraId === 'cam03')).toEqual([]);
  });

  test('after the mediasoup worker dies, the page resubscribes and plays on within 5 s', async ({
    page,
    request,
  }) => {
    await ensureIngest(request, 'cam01', 'sub');
    await ensureIngest(request, 'cam02', 'main');
    await openAndWaitFrames(page, [streamToken('cam01', 'sub'), streamToken('cam02', 'main')], [0, 1]);

    const pids = e2eWorkerPids();
    expect(pids.length, 'the e2e media server runs mediasoup workers').toBeGreaterThan(0);
    const killedAt = Date.now();
    for (const pid of pids) process.kill(pid, 'SIGKILL');

    const recovered: Record<number, number> = {};
    for (const i of [0, 1]) {
      // A resubscription happened, and frames flow on the new consumer.
      await expect
        .poll(() => resubscriptions(page, i), { timeout: Math.max(100, 5_000 - (Date.now() - killedAt)) })
        .toBeGreaterThanOrEqual(1);
      const atResubscribe = await frames(page, i);
      await expect
        .poll(() => frames(page, i), {
          timeout: Math.max(100, 5_000 - (Date.now() - killedAt)),
          intervals: [50],
        })
        .toBeGreaterThan(atResubscribe + 2);
      recovered[i] = Date.now() - killedAt;
    }
    const events = await page.evaluate(() => window.__liveEvents ?? []);
    console.log(`worker ${pids.join(',')} killed; playing again after ${JSON.stringify(recovered)} ms`);
    console.log(`client events: ${JSON.stringify(events.filter((e) => e.type !== 'transport'))}`);
    test.info().annotations.push({ type: 'recovery-ms', description: JSON.stringify(recovered) });

    await expect(page.locator('[data-testid="wall-tile"][data-state="live"]')).toHaveCount(2);
    expect(await videoSize(page, 0)).toEqual({ width: 640, height: 360 });
    expect(await videoSize(page, 1)).toEqual({ width: 1280, height: 720 });
    const after = e2eWorkerPids();
    expect(after.filter((p) => pids.includes(p))).toEqual([]);
    expect(after.length, 'the media server replaced its worker').toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('live-after-worker-death.png'), fullPage: true });
  });
});
