import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type APIRequestContext, expect, type Page, test } from '@playwright/test';
import { readStrips, STRIP_READER, type StripSnapshot } from './time-strip';
import {
  apiAs,
  type CameraItem,
  cameras,
  command,
  createWall,
  SHOTS,
  signIn,
  tile,
  type Wall,
} from './wall-support';

// Wall playback (issue 13): every tile of a wall rewound to the same moment and played in step.
// The stack of playwright.config.ts records 4 time-strip cameras (SIM_STRIP_CAMERAS: their
// simulator burns the wall-clock capture time into every frame); the test reads that strip from
// the frame each tile presents with the simulator's reader (infra/cameras/time-strip.js) — all
// four copied in one task, i.e. at the same instant — so "in step" is measured on the pictures
// themselves, not on what the player reports.

/** County-level police certificate (R-RET-1): may play back the city's cameras. */
const USER = 'police.dispatcher';
/** An emergency-command user: catalogue and live yes, recordings only inside a major incident. */
const NO_RETRIEVAL = 'eoc.operator';
const REWIND_S = 20;
const STRIP_NAME = '时间条模拟';
/** Where the screenshots a person looks at go (besides the test-results folder). */
const LOOK = '/tmp/shots';
mkdirSync(LOOK, { recursive: true });

interface WallPlayback {
  at: string;
  anchor: string;
  speed: number;
  paused: boolean;
}
type PlaybackWall = Wall & { playback: WallPlayback | null };

/** The wall's footage time at server time `now` (the protocol's wallPlaybackPosition). */
const position = (p: WallPlayback, now: number) =>
  p.paused ? Date.parse(p.at) : Date.parse(p.at) + (now - Date.parse(p.anchor)) * p.speed;

const playbackVideo = (i: number) =>
  `[data-testid="wall-tile"][data-index="${i}"] video[data-testid="tile-playback-video"]`;

async function snapshot(page: Page, tiles: number): Promise<StripSnapshot> {
  return page.evaluate(readStrips, [...Array(tiles).keys()].map(playbackVideo));
}

/** Reads the strips until every tile's decodes (a frame in a seek or a torn block may not), at most `tries` times. */
async function readAll(page: Page, tiles: number, tries = 20): Promise<{ at: number; ms: number[] }> {
  let last: StripSnapshot | undefined;
  for (let i = 0; i < tries; i++) {
    last = await snapshot(page, tiles);
    const ms = last.readings.map((r) => (r.ok ? r.ms : null));
    if (ms.every((m): m is number => m !== null)) return { at: last.at, ms };
    await page.waitForTimeout(40);
  }
  throw new Error(`time strips unreadable: ${JSON.stringify(last?.readings)}`);
}

async function wallState(api: APIRequestContext, id: string): Promise<PlaybackWall> {
  const res = await api.get(`/api/walls/${id}`);
  expect(res.status()).toBe(200);
  return (await res.json()) as PlaybackWall;
}

/** The time-strip cameras, once each has been recording for `seconds` (the stack may have just started). */
async function recordedStripCameras(api: APIRequestContext, seconds: number): Promise<CameraItem[]> {
  const found = (await cameras(api, `q=${encodeURIComponent(STRIP_NAME)}&state=in_service&limit=10`)).sort(
    (a, b) => a.name.localeCompare(b.name),
  );
  expect(found.length, 'SIM_STRIP_CAMERAS cameras in the catalogue').toBeGreaterThanOrEqual(4);
  const four = found.slice(0, 4);
  await expect
    .poll(
      async () => {
        const starts = await Promise.all(
          four.map(async (c) => {
            const q = new URLSearchParams({
              profile: 'sub',
              from: new Date(Date.now() - 3_600_000).toISOString(),
              to: new Date().toISOString(),
            });
            const res = await api.get(`/api/cameras/${c.id}/recordings?${q}`);
            if (res.status() !== 200) return Number.POSITIVE_INFINITY;
            const t = (await res.json()) as { ranges: { from: string; to: string }[] };
            return Math.min(...t.ranges.map((r) => Date.parse(r.from)));
          }),
        );
        return Math.max(...starts) <= Date.now() - seconds * 1000;
      },
      { timeout: 90_000, intervals: [2000] },
    )
    .toBe(true);
  return four;
}

test('wall playback: four time-strip cameras rewound to a moment play in step (±100 ms), paused on one frame, back to live', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const a = await apiAs(USER);
  const cams = await recordedStripCameras(a.api, REWIND_S + 5);
  const wall = await createWall(a, `e2e 回放 ${Date.now()}`, '4');
  for (const [index, cam] of cams.entries()) {
    const r = await command(a, wall.id, { type: 'assign', version: index, index, cameraId: cam.id });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }

  const { context, page } = await signIn(browser, USER, {
    timezoneId: 'Asia/Shanghai',
    initScripts: [{ path: STRIP_READER }],
  });
  await page.goto(`/walls/${wall.id}`);
  await expect(page.getByTestId('realtime-state')).toHaveAttribute('data-state', 'connected');
  for (let i = 0; i < 4; i++)
    await expect(tile(page, i)).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await expect(page.getByTestId('playback-bar')).toHaveAttribute('data-mode', 'live');

  // The moment: 20 s ago, typed into the bar's date-time field (the page's local time), then go.
  const moment = await page.evaluate((s) => {
    const d = new Date(Date.now() - s * 1000);
    d.setMilliseconds(0);
    const p = (n: number) => String(n).padStart(2, '0');
    const local = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    return { ms: d.getTime(), local };
  }, REWIND_S);
  await page.getByTestId('playback-moment').fill(moment.local);
  await page.getByTestId('playback-start').click();
  await expect(page.getByTestId('playback-bar')).toHaveAttribute('data-mode', 'playback');
  const started = await wallState(a.api, wall.id);
  expect(started.playback).toEqual({
    at: new Date(moment.ms).toISOString(),
    anchor: expect.any(String),
    speed: 1,
    paused: false,
  });

  // Every tile plays back (its own playback request, decided and audited per camera).
  const t0 = Date.now();
  for (let i = 0; i < 4; i++) {
    await expect(tile(page, i)).toHaveAttribute('data-mode', 'playback');
    await expect(tile(page, i)).toHaveAttribute('data-state', 'playing', { timeout: 30_000 });
  }
  test
    .info()
    .annotations.push({ type: 'start → 4 tiles playing (ms)', description: String(Date.now() - t0) });

  // Right after rewinding: the pictures show the chosen moment (± 1 s) as the wall's clock has moved on.
  const first = await readAll(page, 4);
  const firstExpected = position(started.playback as WallPlayback, first.at);
  for (const ms of first.ms) expect(Math.abs(ms - firstExpected)).toBeLessThanOrEqual(1000);

  // In step: sampled several times, the four pictures are within 100 ms of each other.
  await page.waitForTimeout(3000);
  const spreads: number[] = [];
  const offsets: number[] = [];
  for (let n = 0; n < 8; n++) {
    const s = await readAll(page, 4);
    spreads.push(Math.max(...s.ms) - Math.min(...s.ms));
    const expected = position(started.playback as WallPlayback, s.at);
    offsets.push(...s.ms.map((ms) => ms - expected));
    const player = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLVideoElement>('video[data-testid="tile-playback-video"]')].map(
        (v) =>
          `${v.dataset.driftMs}/${v.dataset.presentedMs ? Number(v.dataset.presentedMs) % 100000 : ''}@${v.playbackRate.toFixed(2)}`,
      ),
    );
    console.log(
      `sample ${n}: strip − wall clock ${s.ms.map((ms) => Math.round(ms - expected)).join(' ')}; strips ${s.ms.map((ms) => ms % 100000).join(' ')}; player drift/presented@rate ${player.join(' ')}`,
    );
    await page.waitForTimeout(500);
  }
  test.info().annotations.push(
    { type: 'spread of the 4 tiles, 8 samples (ms)', description: spreads.join(', ') },
    {
      type: 'picture − wall clock (ms), min/max',
      description: `${Math.min(...offsets)} / ${Math.max(...offsets)}`,
    },
  );
  expect(Math.max(...spreads)).toBeLessThanOrEqual(100);
  for (const o of offsets) expect(Math.abs(o)).toBeLessThanOrEqual(1000);

  // What a person sees, in Chinese, then in English.
  await page.screenshot({ path: join(SHOTS, 'wall-playback-zh.png') });
  await page.screenshot({ path: join(LOOK, 'wall-playback-zh.png') });

  // P pauses the wall: every tile rests on the frame of the same moment.
  await page.keyboard.press('p');
  await expect
    .poll(async () => (await wallState(a.api, wall.id)).playback?.paused, { timeout: 5000 })
    .toBe(true);
  for (let i = 0; i < 4; i++)
    await expect(tile(page, i)).toHaveAttribute('data-state', 'paused', { timeout: 5000 });
  await page.waitForTimeout(1500);
  const pausedA = await readAll(page, 4);
  await page.waitForTimeout(1000);
  const pausedB = await readAll(page, 4);
  test.info().annotations.push({
    type: 'paused: spread (ms)',
    description: String(Math.max(...pausedB.ms) - Math.min(...pausedB.ms)),
  });
  expect(pausedB.ms).toEqual(pausedA.ms); // nothing moves
  expect(Math.max(...pausedB.ms) - Math.min(...pausedB.ms)).toBeLessThanOrEqual(100);
  // On the paused moment: the strip is the capture time, the wall's clock the recording's (capture
  // plus the pipeline's delay to the node, ~0.1 s here) — within a second, as after rewinding.
  const pausedAt = Date.parse((await wallState(a.api, wall.id)).playback?.at ?? '');
  test.info().annotations.push({
    type: 'paused: picture − paused moment (ms)',
    description: pausedB.ms.map((ms) => ms - pausedAt).join(', '),
  });
  for (const ms of pausedB.ms) expect(Math.abs(ms - pausedAt)).toBeLessThanOrEqual(1000);
  await page.keyboard.press('p'); // resume
  await expect
    .poll(async () => (await wallState(a.api, wall.id)).playback?.paused, { timeout: 5000 })
    .toBe(false);

  await page.goto(`/walls/${wall.id}?lang=en`);
  for (let i = 0; i < 4; i++)
    await expect(tile(page, i)).toHaveAttribute('data-state', 'playing', { timeout: 30_000 });
  await expect(page.getByTestId('playback-live')).toHaveText('Back to live');
  await page.waitForTimeout(2500);
  const en = await readAll(page, 4);
  expect(Math.max(...en.ms) - Math.min(...en.ms)).toBeLessThanOrEqual(100);
  await page.screenshot({ path: join(SHOTS, 'wall-playback-en.png') });
  await page.screenshot({ path: join(LOOK, 'wall-playback-en.png') });

  // Back to live: the clock is gone, every tile is live again.
  await page.getByTestId('playback-live').click();
  await expect(page.getByTestId('playback-bar')).toHaveAttribute('data-mode', 'live');
  expect((await wallState(a.api, wall.id)).playback).toBeNull();
  for (let i = 0; i < 4; i++) {
    await expect(tile(page, i)).toHaveAttribute('data-mode', 'live');
    await expect(tile(page, i)).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  }
  // Live pictures are of now again.
  const live = await page.evaluate(
    readStrips,
    [...Array(4).keys()].map((i) => `[data-testid="wall-tile"][data-index="${i}"] video[data-active="true"]`),
  );
  for (const r of live.readings) if (r.ok) expect(live.at - r.ms).toBeLessThan(5000);

  await context.close();
  await a.close();
});

test('wall playback per tile: one tile kept live, a tile with nothing recorded says so, the display follows, a user without the retrieval right sees the refusal', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const a = await apiAs(USER);
  const [strip] = await recordedStripCameras(a.api, REWIND_S + 5);
  // A simulated camera that is not recorded (RECORDING_PLAN=time_strip records only the strip ones).
  const [unrecorded] = await cameras(a.api, `q=${encodeURIComponent('模拟路口')}&state=in_service&limit=1`);
  expect(unrecorded).toBeDefined();
  const wall = await createWall(a, `e2e 回放单画面 ${Date.now()}`, '4');
  await command(a, wall.id, { type: 'assign', version: 0, index: 0, cameraId: strip?.id });
  await command(a, wall.id, { type: 'assign', version: 1, index: 1, cameraId: unrecorded?.id });
  await command(a, wall.id, { type: 'assign', version: 2, index: 2, cameraId: strip?.id });

  const { context, page } = await signIn(browser, USER, { initScripts: [{ path: STRIP_READER }] });
  await page.goto(`/walls/${wall.id}`);
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  // R: rewind the wall a minute.
  await page.keyboard.press('r');
  await expect(page.getByTestId('playback-bar')).toHaveAttribute('data-mode', 'playback');
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'playing', { timeout: 30_000 });
  await expect(tile(page, 1)).toHaveAttribute('data-error', 'playback:not_recorded', { timeout: 30_000 });
  await expect(tile(page, 1).getByTestId('tile-playback-note')).toContainText('该时段没有录像');

  // Tile 3 selected, M: it goes live while the others play back.
  await tile(page, 2).click();
  await page.keyboard.press('m');
  await expect(tile(page, 2)).toHaveAttribute('data-mode', 'live');
  await expect(tile(page, 2)).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await expect(tile(page, 0)).toHaveAttribute('data-state', 'playing');
  const s = await wallState(a.api, wall.id);
  expect(s.tiles[2]).toMatchObject({ index: 2, mode: 'live' });
  await page.screenshot({ path: join(LOOK, 'wall-playback-tiles-zh.png') });

  // The wall's display (kiosk) follows the same clock: tile 1 plays back, tile 3 is live.
  const display = await context.newPage();
  await display.goto(`/walls/${wall.id}/display`);
  await expect(tile(display, 0)).toHaveAttribute('data-mode', 'playback');
  await expect(tile(display, 0)).toHaveAttribute('data-state', 'playing', { timeout: 30_000 });
  await expect(tile(display, 2)).toHaveAttribute('data-mode', 'live');
  await expect(tile(display, 1)).toHaveAttribute('data-error', 'playback:not_recorded', { timeout: 30_000 });
  await display.close();

  // Another organisation's user, same kind of wall: no retrieval right — each tile shows the refusal.
  const eoc = await apiAs(NO_RETRIEVAL);
  const eocWall = await createWall(eoc, `e2e 回放无权 ${Date.now()}`, '1');
  await command(eoc, eocWall.id, { type: 'assign', version: 0, index: 0, cameraId: strip?.id });
  const r = await command(eoc, eocWall.id, {
    type: 'playbackStart',
    version: 1,
    at: new Date(Date.now() - REWIND_S * 1000).toISOString(),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const other = await signIn(browser, NO_RETRIEVAL);
  await other.page.goto(`/walls/${eocWall.id}?lang=en`);
  await expect(tile(other.page, 0)).toHaveAttribute('data-state', 'denied', { timeout: 20_000 });
  await expect(tile(other.page, 0)).toHaveAttribute('data-error', 'forbidden:retrieval');
  await expect(tile(other.page, 0).getByTestId('tile-playback-note')).toContainText('No right to recordings');
  await other.page.screenshot({ path: join(LOOK, 'wall-playback-refused-en.png') });

  await other.context.close();
  await context.close();
  await eoc.close();
  await a.close();
});
