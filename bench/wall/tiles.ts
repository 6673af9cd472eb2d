// `bench wall` — tiles: 16- and 36-tile walls on the wall display page (/walls/:id/display, the
// kiosk of a physical wall) in Chromium, against the whole platform started by the launcher (as
// bench/live does, with simulated cameras that loop pre-encoded clips: SIM_CLIP). Per wall:
//   - time from navigation until every tile is live (first decoded frame of each tile, page clock);
//   - decoded frames per second per tile and dropped frames over a window (30 s by default;
//     requestVideoFrameCallback counts and getVideoPlaybackQuality);
//   - the page's CPU: renderer process CPU (CDP SystemInfo.getProcessInfo), main-thread busy time
//     (CDP Performance.getMetrics TaskDuration), and the machine's CPU by command meanwhile;
//   - receive transports (RTCPeerConnections) the page holds: 1 expected.
// Env: WALL_TILES (default "16,36"), WALL_SECONDS (30), WALL_SIM_LIVE=1 to encode cameras live.
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { type APIRequestContext, type Browser, type BrowserContext, request } from 'playwright-core';
import { launchChromium } from '../live/browser.ts';
import { cpuByCommand, foreignCpu } from '../live/machine.ts';
import { freePort, Platform } from '../live/platform.ts';

type Print = (line: string) => void;

const DEFAULT_TILES = [16, 36];
const SIM_QUERY = '模拟路口';
const PROBE = join(import.meta.dirname, '..', 'live', 'page-probe.js');

/** Records, on the page clock, when each tile first shows a decoded frame (data-state="live"). */
const TILE_PROBE = `(() => {
  const firstLive = {};
  window.__wallBench = { firstLive };
  const scan = () => {
    for (const el of document.querySelectorAll('[data-testid="wall-tile"][data-state="live"]')) {
      const i = el.getAttribute('data-index');
      if (i !== null && firstLive[i] === undefined) firstLive[i] = performance.now();
    }
  };
  const start = () => new MutationObserver(scan).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'],
  });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();`;

/** Installed at the start of the measuring window: per tile, presented frames and playback quality. */
const WINDOW_START = `(() => {
  const tiles = [...document.querySelectorAll('[data-testid="wall-tile"]')];
  const counters = tiles.map((tile) => {
    const c = { index: Number(tile.getAttribute('data-index')), frames: 0, stopped: false, videos: [] };
    for (const v of tile.querySelectorAll('video')) {
      const q = v.getVideoPlaybackQuality();
      c.videos.push({ v, total0: q.totalVideoFrames, dropped0: q.droppedVideoFrames });
      const on = () => {
        if (c.stopped) return;
        if (v.getAttribute('data-active') === 'true') c.frames++;
        v.requestVideoFrameCallback(on);
      };
      v.requestVideoFrameCallback(on);
    }
    return c;
  });
  window.__wallWindow = { counters, t0: performance.now() };
})()`;

const WINDOW_END = `(() => {
  const w = window.__wallWindow;
  const seconds = (performance.now() - w.t0) / 1000;
  return w.counters.map((c) => {
    c.stopped = true;
    let decoded = 0;
    let dropped = 0;
    for (const x of c.videos) {
      const q = x.v.getVideoPlaybackQuality();
      decoded += q.totalVideoFrames - x.total0;
      dropped += q.droppedVideoFrames - x.dropped0;
    }
    const tile = document.querySelector('[data-testid="wall-tile"][data-index="' + c.index + '"]');
    return {
      index: c.index,
      fps: c.frames / seconds,
      decoded,
      dropped,
      state: tile ? tile.getAttribute('data-state') : null,
      stalled: tile ? tile.getAttribute('data-stalled') === 'true' : false,
      profile: tile ? tile.getAttribute('data-profile') : null,
      seconds,
    };
  });
})()`;

interface TileWindow {
  index: number;
  fps: number;
  decoded: number;
  dropped: number;
  state: string | null;
  stalled: boolean;
  profile: string | null;
  seconds: number;
}

interface InboundStats {
  trackIdentifier: string;
  framesDecoded: number;
  framesDropped: number;
  freezeCount: number;
  totalFreezesDuration: number;
  packetsLost: number;
  decoderImplementation: string;
}

export interface Dist {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
}

function dist(xs: number[]): Dist {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const at = (p: number) =>
    v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] ?? NaN;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: v.length, min: r(v[0] ?? NaN), p50: r(at(50)), p95: r(at(95)), max: r(v[v.length - 1] ?? NaN) };
}

const fmt = (d: Dist, unit = '') => `p50 ${d.p50}${unit} p95 ${d.p95}${unit} (min ${d.min}, max ${d.max})`;

function gatewayUrlOf(platform: Platform): string {
  for (const l of platform.logs) {
    const m = /Gateway\s+(http:\/\/[^\s/]+)\/healthz/.exec(l.line);
    if (m?.[1]) return m[1];
  }
  throw new Error('the launcher did not print the gateway URL');
}

async function signIn(api: APIRequestContext, gateway: string, password: string): Promise<string> {
  const res = await api.post(`${gateway}/api/auth/login`, { data: { username: 'eoc.operator', password } });
  if (res.status() !== 200) throw new Error(`login: ${res.status()} ${await res.text()}`);
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}

/** A wall of `n` tiles with one simulated camera each (wall commands over HTTP). */
async function makeWall(api: APIRequestContext, gateway: string, csrf: string, cameraIds: string[]) {
  const n = cameraIds.length;
  const headers = { 'x-csrf-token': csrf };
  const res = await api.post(`${gateway}/api/walls`, {
    headers,
    data: { name: `bench ${n} tiles ${Date.now()}`, layout: String(n) },
  });
  if (res.status() !== 201) throw new Error(`create wall: ${res.status()} ${await res.text()}`);
  const wall = (await res.json()) as { id: string; version: number };
  let version = wall.version;
  for (const [index, cameraId] of cameraIds.entries()) {
    const r = await api.post(`${gateway}/api/walls/${wall.id}/commands`, {
      headers,
      data: { type: 'assign', version, index, cameraId },
    });
    if (r.status() !== 200) throw new Error(`assign ${index}: ${r.status()} ${await r.text()}`);
    version = ((await r.json()) as { version: number }).version;
  }
  return wall.id;
}

/** Cumulative CPU seconds per Chromium process type (browser-wide CDP). */
async function chromiumCpu(browser: Browser): Promise<Record<string, number>> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number; cpuTime: number }[];
    };
    const out: Record<string, number> = {};
    for (const p of info.processInfo) out[p.type] = (out[p.type] ?? 0) + p.cpuTime;
    return out;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

async function runWall(o: {
  browser: Browser;
  platform: Platform;
  gateway: string;
  password: string;
  cameraIds: string[];
  seconds: number;
  print: Print;
}): Promise<Record<string, unknown>> {
  const { browser, platform, gateway, print } = o;
  const n = o.cameraIds.length;
  const api = await request.newContext();
  let context: BrowserContext | undefined;
  try {
    const csrf = await signIn(api, gateway, o.password);
    const wallId = await makeWall(api, gateway, csrf, o.cameraIds);
    context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    // The session cookie is host-scoped: the context's own sign-in reaches the web pages too.
    const login = await context.request.post(`${gateway}/api/auth/login`, {
      data: { username: 'eoc.operator', password: o.password },
    });
    if (login.status() !== 200) throw new Error(`browser login: ${login.status()}`);
    await context.addInitScript({ path: PROBE });
    await context.addInitScript(TILE_PROBE);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');

    // Start-up anatomy: the tiles' gateway calls (POST /api/cameras/:id/live) and snapshots.
    const calls: { kind: 'live' | 'snapshot'; start: number; end: number; status: number }[] = [];
    page.on('requestfinished', (req) => {
      const url = req.url();
      const kind = /\/api\/cameras\/[^/]+\/live$/.test(url)
        ? 'live'
        : url.includes('/snapshot/')
          ? 'snapshot'
          : null;
      if (!kind) return;
      const t = req.timing();
      void req.response().then((res) =>
        calls.push({
          kind,
          start: t.startTime,
          end: t.startTime + t.responseEnd,
          status: res?.status() ?? 0,
        }),
      );
    });
    const navigatedAt = Date.now();
    const startCpu = cpuByCommand();
    await page.goto(`${platform.webUrl}/walls/${wallId}/display`, { waitUntil: 'load' });
    let timedOut = false;
    await page
      .waitForFunction(
        `document.querySelectorAll('[data-testid="wall-tile"][data-state="live"]').length >= ${n}`,
        undefined,
        { timeout: 120_000, polling: 100 },
      )
      .catch(() => {
        timedOut = true;
      });
    const startCpuByCommand = startCpu.stop();
    const firstLive = (await page.evaluate('({ ...window.__wallBench.firstLive })')) as Record<
      string,
      number
    >;
    const firstLiveMs = Object.values(firstLive);
    const liveAtStart = firstLiveMs.length;
    const allLiveMs = timedOut ? null : Math.round(Math.max(...firstLiveMs));
    const firstLiveDist = dist(firstLiveMs);
    const snap = (await page.evaluate('window.__bench.snapshot()')) as {
      timeOrigin: number;
      requests: { event: string; sentAt: number; ackAt: number | null }[];
      sockets: { url: string; createdAt: number; connectAckAt: number | null }[];
    };
    const rel = (epochMs: number) => Math.round(epochMs - snap.timeOrigin);
    const lives = calls.filter((c) => c.kind === 'live');
    const consumes = snap.requests.filter((r) => r.event === 'stream:consume');
    const anatomy = {
      liveRequests: lives.length,
      liveRequestSentMs: dist(lives.map((c) => rel(c.start))),
      liveRequestDurationMs: dist(lives.map((c) => c.end - c.start)),
      snapshots: calls.filter((c) => c.kind === 'snapshot').length,
      sockets: snap.sockets.map((x) => ({
        url: x.url.replace(/\?.*$/, ''),
        createdMs: Math.round(x.createdAt),
        connectedMs: x.connectAckAt === null ? null : Math.round(x.connectAckAt),
      })),
      signalling: Object.fromEntries(
        ['wall:join', 'router:capabilities', 'transport:create', 'transport:connect'].map((e) => {
          const r = snap.requests.find((x) => x.event === e);
          return [
            e,
            r ? { sentMs: Math.round(r.sentAt), ackMs: r.ackAt === null ? null : Math.round(r.ackAt) } : null,
          ];
        }),
      ),
      consumeRequests: consumes.length,
      consumeSentMs: dist(consumes.map((r) => r.sentAt)),
      consumeAckMs: dist(consumes.map((r) => (r.ackAt === null ? Number.NaN : r.ackAt - r.sentAt))),
      navigationToTimeOriginMs: Math.round(snap.timeOrigin - navigatedAt),
    };
    print(
      `    start-up: ${anatomy.liveRequests} live requests sent at ${fmt(anatomy.liveRequestSentMs, ' ms')}, each ${fmt(anatomy.liveRequestDurationMs, ' ms')}; ${anatomy.consumeRequests} stream:consume (retries included) sent at ${fmt(anatomy.consumeSentMs, ' ms')}`,
    );
    print(
      `  ${n} tiles: ${timedOut ? `only ${liveAtStart}/${n} live within 120 s` : `all live ${allLiveMs} ms after navigation`}; first frame per tile ${fmt(firstLiveDist, ' ms')}`,
    );

    // Let start-up settle, then measure a steady window.
    await page.waitForTimeout(3000);
    const inbound0 = (await page.evaluate('window.__bench.inbound()')) as InboundStats[];
    const perf0 = (await cdp.send('Performance.getMetrics')) as {
      metrics: { name: string; value: number }[];
    };
    const chrome0 = await chromiumCpu(browser);
    const machine = cpuByCommand();
    const foreign = foreignCpu();
    const t0 = performance.now();
    await page.evaluate(WINDOW_START);
    await page.waitForTimeout(o.seconds * 1000);
    const tiles = (await page.evaluate(WINDOW_END)) as TileWindow[];
    const elapsedS = (performance.now() - t0) / 1000;
    const perf1 = (await cdp.send('Performance.getMetrics')) as {
      metrics: { name: string; value: number }[];
    };
    const chrome1 = await chromiumCpu(browser);
    const machineCpu = machine.stop();
    const foreignPct = foreign.stop();
    const inbound1 = (await page.evaluate('window.__bench.inbound()')) as InboundStats[];
    const pcs = (await page.evaluate(
      'window.__bench.pcs.filter((p) => p.pc.connectionState !== "closed").length',
    )) as number;

    const metric = (m: { metrics: { name: string; value: number }[] }, name: string) =>
      m.metrics.find((x) => x.name === name)?.value ?? 0;
    const mainThreadBusyPct =
      Math.round(((metric(perf1, 'TaskDuration') - metric(perf0, 'TaskDuration')) / elapsedS) * 1000) / 10;
    const chromiumCpuPct: Record<string, number> = {};
    for (const [type, s] of Object.entries(chrome1)) {
      chromiumCpuPct[type] = Math.round(((s - (chrome0[type] ?? 0)) / elapsedS) * 1000) / 10;
    }
    const byTrack = new Map(inbound0.map((s) => [s.trackIdentifier, s]));
    let framesDroppedRtc = 0;
    let freezes = 0;
    let packetsLost = 0;
    for (const s of inbound1) {
      const b = byTrack.get(s.trackIdentifier);
      framesDroppedRtc += s.framesDropped - (b?.framesDropped ?? 0);
      freezes += s.freezeCount - (b?.freezeCount ?? 0);
      packetsLost += s.packetsLost - (b?.packetsLost ?? 0);
    }
    const fps = dist(tiles.map((t) => t.fps));
    const dropped = tiles.reduce((a, t) => a + t.dropped, 0);
    const decoded = tiles.reduce((a, t) => a + t.decoded, 0);
    const notLive = tiles.filter((t) => t.state !== 'live' || t.stalled).map((t) => t.index);
    print(
      `    over ${elapsedS.toFixed(0)} s: decoded fps per tile ${fmt(fps)}; dropped ${dropped} of ${decoded} frames (playback quality), WebRTC framesDropped ${framesDroppedRtc}, freezes ${freezes}, packets lost ${packetsLost}${notLive.length > 0 ? `; not live/stalled at the end: ${notLive.join(',')}` : ''}`,
    );
    print(
      `    page CPU: renderer ${chromiumCpuPct.renderer ?? 0} % of a core (GPU process ${chromiumCpuPct.GPU ?? chromiumCpuPct.gpu ?? 0} %, browser ${chromiumCpuPct.browser ?? 0} %), main thread busy ${mainThreadBusyPct} %; receive transports ${pcs}; machine by command ${JSON.stringify(machineCpu)}; other processes ${foreignPct} %`,
    );
    return {
      tiles: n,
      wallId,
      allLiveMs,
      liveWithin120s: liveAtStart,
      firstFramePerTileMs: firstLiveDist,
      startUp: anatomy,
      startUpCpuByCommandPct: startCpuByCommand,
      window: {
        seconds: Math.round(elapsedS * 10) / 10,
        decodedFpsPerTile: fps,
        droppedFrames: dropped,
        decodedFrames: decoded,
        droppedFramesPerTileMax: Math.max(...tiles.map((t) => t.dropped)),
        webrtcFramesDropped: framesDroppedRtc,
        freezes,
        packetsLost,
        notLiveAtEnd: notLive,
        profiles: [...new Set(tiles.map((t) => t.profile))],
        decoder: [...new Set(inbound1.map((s) => s.decoderImplementation))],
      },
      pageCpu: {
        chromiumProcessesPctOfCore: chromiumCpuPct,
        mainThreadBusyPct,
      },
      receiveTransports: pcs,
      machineCpuByCommandPct: machineCpu,
      otherProcessesPctOfCore: foreignPct,
    };
  } finally {
    await context?.close().catch(() => undefined);
    await api.dispose();
  }
}

/**
 * Runs the wall benchmark: starts the platform (clip cameras, as many as the largest wall), then
 * for each wall size a fresh wall of that many simulated cameras on the display page. Returns the
 * figures (bench/wall/index.ts writes them to bench/results/wall.json).
 */
export async function runTilesBench(print: Print): Promise<Record<string, unknown>> {
  const sizes = (process.env.WALL_TILES ?? DEFAULT_TILES.join(','))
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((x) => [1, 4, 9, 16, 25, 36, 49, 64].includes(x));
  const seconds = Number(process.env.WALL_SECONDS ?? 30);
  const clip = process.env.WALL_SIM_LIVE !== '1';
  const cameras = Math.max(...sizes);
  print(
    `wall tiles: ${sizes.join(', ')}-tile walls on the display page, ${seconds} s windows; ${cameras} simulated cameras (${clip ? 'looped clips' : 'live encoders'}), ${cpus().length} cores, load ${(loadavg()[0] ?? 0).toFixed(2)}`,
  );
  const password = process.env.WALL_DEMO_PASSWORD ?? `bench-${randomBytes(9).toString('base64url')}`;
  // What the launcher gets besides bench/live's settings (restored afterwards).
  const env: Record<string, string> = {
    SIM_CLIP: clip ? 'true' : 'false',
    WALL_DEMO_PASSWORD: password,
    // Not the default SIP port: a development stack on this machine may hold it.
    GB_SIP_PORT: String(await freePort()),
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let platform: Platform | undefined;
  let browser: Browser | undefined;
  try {
    platform = await Platform.start({ gop: 50, workers: cpus().length, cameras });
    const gateway = gatewayUrlOf(platform);
    const api = await request.newContext();
    await signIn(api, gateway, password);
    const res = await api.get(
      `${gateway}/api/cameras?q=${encodeURIComponent(SIM_QUERY)}&state=in_service&limit=100`,
    );
    const sims = ((await res.json()) as { items: { id: string; name: string }[] }).items.sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    await api.dispose();
    if (sims.length < cameras) throw new Error(`only ${sims.length} simulated cameras, need ${cameras}`);
    browser = await launchChromium();
    const walls: Record<string, unknown>[] = [];
    for (const n of sizes) {
      walls.push(
        await runWall({
          browser,
          platform,
          gateway,
          password,
          cameraIds: sims.slice(0, n).map((c) => c.id),
          seconds,
          print,
        }),
      );
    }
    return {
      method:
        'Display page (/walls/:id/display) at 1920×1080 in Chromium (--disable-gpu), signed in as eoc.operator; a fresh wall per size, one simulated camera per tile (sub streams). All-live = page clock (ms since navigation start) of the last tile whose data-state became live (first decoded frame, requestVideoFrameCallback). Then 3 s settle and a window: fps = frames presented by each tile’s front video (requestVideoFrameCallback), dropped = getVideoPlaybackQuality deltas, WebRTC inbound-rtp deltas; CPU = CDP SystemInfo.getProcessInfo cpuTime deltas per Chromium process type and Performance.getMetrics TaskDuration (main thread), /proc by command for the machine.',
      simulatedCameras: { count: cameras, mode: clip ? 'clip' : 'live' },
      cores: cpus().length,
      walls,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await platform?.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
