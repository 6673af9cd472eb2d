// The map part of `bench wall`: the real /map page (production build, `next start`) drawing 1 000
// and 100 000 cameras in headless Chromium (WebGL on SwiftShader: no GPU). Relative figures.
//   first render   navigation → `map:cameras-rendered` (the mark the map sets once its clustered
//                  source has been drawn: data fetched, parsed, clustered in the worker, painted)
//   frame times    requestAnimationFrame deltas in the page while Playwright's mouse pans (drag)
//                  and zooms (wheel) the map: median, p95, frames over 50 ms
// The gateway is a stand-in HTTP server (the page's server-side session check cannot be routed by
// the browser): it answers GET /api/me for a bench user, GET /api/cameras/geojson with generated
// cameras (inside the district polygons, denser in the urban core), and an empty incident list.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DISTRICTS, MAP_CATEGORIES, MAP_STATES } from '@wall/protocol';
import { CHANGZHOU_DISTRICTS, inMultiPolygon } from '@wall/protocol/districts';
import { type Browser, chromium, type Page } from 'playwright-core';

const ROOT = join(import.meta.dirname, '..', '..');
const WEB = join(ROOT, 'web');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const VIEWPORT = { width: 1280, height: 720 };

export interface MapBenchOptions {
  /** Camera counts to draw; the ratios are of the last to the first. Default [1 000, 100 000]. */
  sizes?: number[];
  /** Repetitions of the pan/zoom script per size. Default 2. */
  rounds?: number;
}

interface FrameStats {
  frames: number;
  durationMs: number;
  fps: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  over50Ms: number;
}

interface SizeResult {
  cameras: number;
  payloadBytes: number;
  /** Navigation start → cameras fetched and parsed (client model built). */
  loadedMs: number;
  /** Navigation start → the clustered source first drawn (`map:cameras-rendered`). */
  firstRenderMs: number;
  /** Cameras fetched → drawn (parse excluded: cluster index in the worker + first paint). */
  fetchToRenderMs: number;
  pan: FrameStats;
  zoom: FrameStats;
  all: FrameStats;
  /** Ticking one grade in the filter panel until the filtered cameras are drawn. */
  filter: { applyMs: number; drawn: number; longestFrameMs: number };
}

// ——— synthetic cameras ———

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

const DISTRICT_SHAPES = CHANGZHOU_DISTRICTS.features.map((f) => {
  const b: Bounds = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const poly of f.geometry.coordinates)
    for (const ring of poly)
      for (const [x, y] of ring) {
        b.minX = Math.min(b.minX, x);
        b.minY = Math.min(b.minY, y);
        b.maxX = Math.max(b.maxX, x);
        b.maxY = Math.max(b.maxY, y);
      }
  return { code: String(f.properties.adcode), polygons: f.geometry.coordinates, b };
});
const CITY: Bounds = DISTRICT_SHAPES.reduce(
  (a, d) => ({
    minX: Math.min(a.minX, d.b.minX),
    minY: Math.min(a.minY, d.b.minY),
    maxX: Math.max(a.maxX, d.b.maxX),
    maxY: Math.max(a.maxY, d.b.maxY),
  }),
  { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity },
);
/** Changzhou's urban core (天宁/钟楼), where cameras are densest. */
const CORE = { lon: 119.96, lat: 31.79 };

function districtOf(lon: number, lat: number): number {
  for (const d of DISTRICT_SHAPES) {
    if (lon < d.b.minX || lon > d.b.maxX || lat < d.b.minY || lat > d.b.maxY) continue;
    if (inMultiPolygon(d.polygons, lon, lat)) return DISTRICTS.findIndex((x) => x.code === d.code);
  }
  return -1;
}

interface Compact {
  format: 'compact';
  count: number;
  states: readonly string[];
  categories: readonly string[];
  id: string[];
  lon: number[];
  lat: number[];
  grade: number[];
  state: number[];
  category: number[];
  private: number[];
  emergency: number[];
}

/** `n` cameras inside the districts: 60 % around the urban core (normal, σ ≈ 6 km), 40 % uniform. */
function generate(n: number): Map<string, string> {
  const rnd = prng(20_250_401 + n);
  const parts = DISTRICTS.map(
    (): Compact => ({
      format: 'compact',
      count: 0,
      states: MAP_STATES,
      categories: MAP_CATEGORIES,
      id: [],
      lon: [],
      lat: [],
      grade: [],
      state: [],
      category: [],
      private: [],
      emergency: [],
    }),
  );
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  let made = 0;
  while (made < n) {
    const core = rnd() < 0.6;
    const lon = core ? CORE.lon + gauss() * 0.065 : CITY.minX + rnd() * (CITY.maxX - CITY.minX);
    const lat = core ? CORE.lat + gauss() * 0.055 : CITY.minY + rnd() * (CITY.maxY - CITY.minY);
    const d = districtOf(lon, lat);
    const p = parts[d];
    if (!p) continue;
    made++;
    p.count++;
    p.id.push(`00000000-0000-4000-8000-${made.toString(16).padStart(12, '0')}`);
    p.lon.push(Math.round(lon * 1e6) / 1e6);
    p.lat.push(Math.round(lat * 1e6) / 1e6);
    p.grade.push(1 + Math.floor(rnd() ** 2 * 4));
    p.state.push(rnd() < 0.9 ? 2 : Math.floor(rnd() * 4));
    p.category.push(Math.floor(rnd() * MAP_CATEGORIES.length));
    p.private.push(rnd() < 0.3 ? 1 : 0);
    p.emergency.push(0);
  }
  return new Map(DISTRICTS.map((d, i) => [d.code, JSON.stringify(parts[i])]));
}

// ——— stand-in gateway ———

const BENCH_USER = {
  user: {
    id: '00000000-0000-4000-8000-0000000000be',
    username: 'bench',
    displayName: '基准测试',
    orgId: '00000000-0000-4000-8000-0000000000b0',
    orgName: 'bench',
    tier: 'city',
    districtCode: null,
    departmentKind: 'emergency',
    roles: ['operator'],
    clearance: 3,
  },
  csrfToken: 'bench',
};

class StandInGateway {
  readonly server: Server;
  lists = new Map<string, string>();
  webOrigin = '';

  constructor() {
    this.server = createServer((req, res) => this.#handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const headers: Record<string, string> = {
      'access-control-allow-origin': this.webOrigin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'content-type, x-csrf-token',
      vary: 'origin',
    };
    const send = (status: number, body: string) => {
      res.writeHead(status, { ...headers, 'content-type': 'application/json' });
      res.end(body);
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, headers);
      res.end();
    } else if (url.pathname === '/api/me') {
      send(200, JSON.stringify(BENCH_USER));
    } else if (url.pathname === '/api/cameras/geojson') {
      const body = this.lists.get(url.searchParams.get('district') ?? '');
      if (body) send(200, body);
      else send(400, JSON.stringify({ code: 'invalid:request', message: 'bench: ask per district' }));
    } else if (url.pathname === '/api/incidents') {
      send(200, JSON.stringify({ incidents: [] }));
    } else {
      send(404, JSON.stringify({ code: 'not_found:route', message: 'bench stand-in' }));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ——— next start ———

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function startWeb(gatewayUrl: string): Promise<{ url: string; child: ChildProcess }> {
  if (!existsSync(join(WEB, '.next', 'BUILD_ID'))) {
    throw new Error('web/.next has no production build: run `cd web && ./node_modules/.bin/next build`');
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      join(WEB, 'node_modules', 'next', 'dist', 'bin', 'next'),
      'start',
      '-H',
      '127.0.0.1',
      '-p',
      String(port),
    ],
    {
      cwd: WEB,
      env: {
        ...process.env,
        GATEWAY_URL: gatewayUrl,
        GATEWAY_PUBLIC_URL: gatewayUrl,
        NEXT_TELEMETRY_DISABLED: '1',
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/login`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return { url, child };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stopWeb(child);
  throw new Error(`next start did not answer within 60 s: ${stderr}`);
}

function stopWeb(child: ChildProcess): void {
  if (child.exitCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}

// ——— measurements in the page ———

/** rAF recorder, installed before the page's scripts (bench code, not the app's). */
const FRAME_RECORDER = `
  window.__benchFrames = { on: false, last: -1, deltas: [] };
  const loop = (t) => {
    const f = window.__benchFrames;
    if (f.on) { if (f.last >= 0) f.deltas.push(t - f.last); f.last = t; } else f.last = -1;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
`;

function stats(deltas: number[], durationMs: number): FrameStats {
  const s = [...deltas].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    frames: s.length,
    durationMs: Math.round(durationMs),
    fps: r1((s.length * 1000) / Math.max(1, durationMs)),
    medianMs: r1(q(0.5)),
    p95Ms: r1(q(0.95)),
    maxMs: r1(s.at(-1) ?? 0),
    over50Ms: s.filter((x) => x > 50).length,
  };
}

async function recording<T>(page: Page, body: () => Promise<T>): Promise<{ deltas: number[]; ms: number }> {
  await page.evaluate('window.__benchFrames.deltas = []; window.__benchFrames.on = true;');
  const t0 = Date.now();
  await body();
  const ms = Date.now() - t0;
  const deltas = (await page.evaluate(
    '(() => { window.__benchFrames.on = false; return window.__benchFrames.deltas; })()',
  )) as number[];
  return { deltas, ms };
}

const pause = (page: Page, ms: number) => page.waitForTimeout(ms);

/** Drags across the map: right, down, left, up (each 360 px in 24 steps). */
async function panScript(page: Page, cx: number, cy: number): Promise<void> {
  const moves: [number, number][] = [
    [360, 0],
    [0, 240],
    [-360, 0],
    [0, -240],
  ];
  for (const [dx, dy] of moves) {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + dx, cy + dy, { steps: 24 });
    await page.mouse.up();
    await pause(page, 150);
  }
}

/** Wheel zoom in five notches at three places, then back out. */
async function zoomScript(page: Page, cx: number, cy: number): Promise<void> {
  for (const [x, y] of [
    [cx, cy],
    [cx - 200, cy + 80],
    [cx + 220, cy - 60],
  ] as const) {
    await page.mouse.move(x, y);
    for (let i = 0; i < 5; i++) {
      await page.mouse.wheel(0, -120);
      await pause(page, 90);
    }
    await pause(page, 300);
    for (let i = 0; i < 5; i++) {
      await page.mouse.wheel(0, 120);
      await pause(page, 90);
    }
    await pause(page, 300);
  }
}

/** Ticks grade 1 in the filter panel and waits until the map has drawn the filtered cameras. */
async function filterOnce(page: Page): Promise<{ applyMs: number; drawn: number; longestFrameMs: number }> {
  const panel = page.getByTestId('map-filters');
  await panel.getByRole('button').first().click();
  const before = await page.getByTestId('map').getAttribute('data-camera-count');
  let applyMs = 0;
  const rec = await recording(page, async () => {
    const t0 = Date.now();
    await panel.locator('input[data-filter="grade"][value="1"]').click();
    await page.waitForFunction(
      `document.querySelector('[data-testid="map"]').getAttribute('data-camera-count') !== ${JSON.stringify(before)}`,
      undefined,
      { timeout: 120_000 },
    );
    applyMs = Date.now() - t0;
  });
  const drawn = Number(await page.getByTestId('map').getAttribute('data-camera-count'));
  return { applyMs, drawn, longestFrameMs: Math.round(Math.max(0, ...rec.deltas)) };
}

async function measure(
  browser: Browser,
  webUrl: string,
  gateway: StandInGateway,
  cameras: number,
  rounds: number,
  print: (s: string) => void,
): Promise<SizeResult> {
  gateway.lists = generate(cameras);
  const payloadBytes = [...gateway.lists.values()].reduce((n, s) => n + Buffer.byteLength(s), 0);
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await context.addCookies([{ name: 'wall_sid', value: 'bench', url: webUrl }]);
    await context.addInitScript({ content: FRAME_RECORDER });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${webUrl}/map`);
    const map = page.getByTestId('map');
    try {
      await map.locator('canvas').waitFor({ timeout: 120_000 });
      await page.waitForSelector('[data-testid="map"][data-ready="true"]', { timeout: 300_000 });
    } catch (err) {
      throw new Error(`the map did not render at ${page.url()}: ${problems.slice(0, 5).join(' | ')}`, {
        cause: err,
      });
    }
    const drawn = Number(await map.getAttribute('data-camera-count'));
    if (drawn !== cameras) throw new Error(`the map drew ${drawn} cameras, expected ${cameras}`);
    const marks = (await page.evaluate(`Object.fromEntries(
      ['map:cameras-fetch', 'map:cameras-loaded', 'map:cameras-rendered'].map((n) => [
        n,
        performance.getEntriesByName(n, 'mark')[0]?.startTime ?? -1,
      ]),
    )`)) as Record<string, number>;
    const box = await map.boundingBox();
    if (!box) throw new Error('the map has no box');
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await pause(page, 1000);
    const pans: number[] = [];
    const zooms: number[] = [];
    let panMs = 0;
    let zoomMs = 0;
    for (let r = 0; r < rounds; r++) {
      const p = await recording(page, () => panScript(page, cx, cy));
      pans.push(...p.deltas);
      panMs += p.ms;
      const z = await recording(page, () => zoomScript(page, cx, cy));
      zooms.push(...z.deltas);
      zoomMs += z.ms;
    }
    const filter = await filterOnce(page);
    const rendered = marks['map:cameras-rendered'] ?? -1;
    const loaded = marks['map:cameras-loaded'] ?? -1;
    const result: SizeResult = {
      cameras,
      payloadBytes,
      loadedMs: Math.round(loaded),
      firstRenderMs: Math.round(rendered),
      fetchToRenderMs: Math.round(rendered - (marks['map:cameras-fetch'] ?? 0)),
      pan: stats(pans, panMs),
      zoom: stats(zooms, zoomMs),
      all: stats([...pans, ...zooms], panMs + zoomMs),
      filter,
    };
    print(
      `  ${cameras.toLocaleString('en-US').padStart(7)} cameras  first render ${result.firstRenderMs} ms ` +
        `(loaded ${result.loadedMs} ms, ${(payloadBytes / 1e6).toFixed(1)} MB)  ` +
        `pan median ${result.pan.medianMs} / p95 ${result.pan.p95Ms} ms  ` +
        `zoom median ${result.zoom.medianMs} / p95 ${result.zoom.p95Ms} ms  ` +
        `(${result.all.fps} fps, ${result.all.over50Ms} frames > 50 ms)  ` +
        `filter ${filter.applyMs} ms (longest frame ${filter.longestFrameMs} ms)`,
    );
    return result;
  } finally {
    await context.close();
  }
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);

/** Runs the map benchmark; returns its figures (the caller writes them). */
export async function runMapBench(
  print: (s: string) => void,
  options: MapBenchOptions = {},
): Promise<Record<string, unknown>> {
  const sizes = options.sizes ?? [1_000, 100_000];
  const rounds = options.rounds ?? 2;
  print('map: /map (production build) in headless Chromium, pan (drag) and zoom (wheel) with the mouse');
  const gateway = new StandInGateway();
  const gatewayUrl = await gateway.listen();
  let web: { url: string; child: ChildProcess } | undefined;
  let browser: Browser | undefined;
  try {
    web = await startWeb(gatewayUrl);
    gateway.webOrigin = web.url;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const probe = await browser.newPage();
    const renderer = String(
      await probe.evaluate(`(() => {
        const gl = document.createElement('canvas').getContext('webgl2');
        const ext = gl && gl.getExtension('WEBGL_debug_renderer_info');
        return gl && ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : gl ? 'webgl2' : 'none';
      })()`),
    );
    await probe.close();
    print(`  WebGL: ${renderer}`);
    const results: SizeResult[] = [];
    for (const n of sizes) results.push(await measure(browser, web.url, gateway, n, rounds, print));
    const small = results[0];
    const large = results.at(-1);
    const ratios =
      small && large && small !== large
        ? {
            of: `${large.cameras} / ${small.cameras} cameras`,
            firstRender: ratio(large.firstRenderMs, small.firstRenderMs),
            fetchToRender: ratio(large.fetchToRenderMs, small.fetchToRenderMs),
            panMedian: ratio(large.pan.medianMs, small.pan.medianMs),
            panP95: ratio(large.pan.p95Ms, small.pan.p95Ms),
            zoomMedian: ratio(large.zoom.medianMs, small.zoom.medianMs),
            zoomP95: ratio(large.zoom.p95Ms, small.zoom.p95Ms),
            frameMedian: ratio(large.all.medianMs, small.all.medianMs),
            frameP95: ratio(large.all.p95Ms, small.all.p95Ms),
            filterApply: ratio(large.filter.applyMs, small.filter.applyMs),
          }
        : undefined;
    if (ratios) {
      print(
        `  ratio ${ratios.of}: first render ×${ratios.firstRender}, frame median ×${ratios.frameMedian}, ` +
          `p95 ×${ratios.frameP95}`,
      );
    }
    return { renderer, viewport: VIEWPORT, rounds, sizes: results, ratios };
  } finally {
    await browser?.close();
    if (web) stopWeb(web.child);
    await gateway.close();
  }
}
