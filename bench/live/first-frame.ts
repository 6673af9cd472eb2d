// Browser parts of `bench live` (`node --import tsx run.ts live browser`), called by index.ts:
//   1. time to first decoded frame in Chromium, warm (camera already ingested and live) and cold
//      (not ingested: the pull includes the ensure-ingest call), split into platform overhead and
//      key-frame wait; cold pulls also against a camera whose encoder is already running;
//   2. glass-to-glass latency: a simulated camera of our own (rtsp-sim.py --time-strip) paints its
//      capture time into every raw frame, the page reads it back from each presented frame;
//   3. decoded frame rate per tile of an 8-tile wall.
// It starts the whole platform itself (launcher on free ports, throw-away data directory) and stops
// it at the end. Clocks: page times are the page's performance.now() (ms since
// performance.timeOrigin); bench and server times are wall clock (Date.now(), CLOCK_REALTIME);
// the two are joined through performance.timeOrigin (same machine, same clock).
import { cpus, loadavg } from 'node:os';
import type { Browser } from 'playwright-core';
import {
  BenchPage,
  type FirstFrameRec,
  type InboundStats,
  launchChromium,
  type Snapshot,
  type StripSample,
} from './browser.ts';
import { type FfmpegStart, type FfmpegVariant, ffmpegStart, variantArgs } from './ffmpeg-start.ts';
import { cpuByCommand, foreignCpu } from './machine.ts';
import { Platform, type Profile, type StreamStatus, simPipelineLatencyMs, startSim } from './platform.ts';
import { RtspProbe, type RtspTimings } from './rtsp-probe.ts';

const GOP = Number(process.env.SIM_GOP ?? 50);
const FPS = 25;
const GOP_MS = (GOP * 1000) / FPS;
const WORKERS = Number(process.env.MEDIASOUP_WORKERS ?? 2);
const WARM_PULLS = Number(process.env.WARM_PULLS ?? 24);
const COLD_PULLS = Number(process.env.COLD_PULLS ?? 24);
const COLD_RUNNING_PULLS = Number(process.env.COLD_RUNNING_PULLS ?? 12);
const FFMPEG_RUNS = Number(process.env.FFMPEG_RUNS ?? 6);
const G2G_FRAMES = Number(process.env.G2G_FRAMES ?? 300);
const WALL_SECONDS = Number(process.env.WALL_SECONDS ?? 10);
const TARGET_OVERHEAD_P95 = 250;
const TARGET_WARM_P95 = 250 + GOP_MS;
const TARGET_G2G_P95 = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const out = (line: string) => process.stdout.write(`${line}\n`);

/** Nearest-rank percentile (p in 0..100) of the finite values. */
function pct(xs: number[], p: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

interface Dist {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}
function dist(xs: number[]): Dist {
  const f = xs.filter((x) => Number.isFinite(x));
  return {
    n: f.length,
    p50: r1(pct(f, 50)),
    p95: r1(pct(f, 95)),
    min: r1(Math.min(...f)),
    max: r1(Math.max(...f)),
  };
}
const fmt = (d: Dist) => `p50 ${d.p50} ms, p95 ${d.p95} ms`;

// ——— 1. first frame ———

type PullKind = 'warm' | 'cold' | 'coldRunning';

interface Pull {
  kind: PullKind;
  cam: string;
  profile: Profile;
  error?: string;
  /** Pull → first decoded frame presented. */
  totalMs?: number;
  /** Socket created → transport connected and consumer resumed (both). */
  overheadMs?: number;
  /** Consumer ready → first decoded frame presented. */
  keyFrameWaitMs?: number;
  /** Of which: last packet of the first frame received → frame presented (decode, render). */
  decodeMs?: number;
  /** Page steps, ms after the socket was created. */
  steps?: Record<string, number>;
  /** Cold: ms after the pull (t0, before the ensure-ingest call), wall clock. */
  server?: Record<string, number>;
  probe?: RtspTimings;
}

interface PageTimes {
  ws: number;
  ready: number;
  ff: FirstFrameRec;
  steps: Record<string, number>;
}

/** The page's marks for one pull (page clock), relative to the live client's socket creation. */
function pageTimes(snap: Snapshot): PageTimes {
  const sockIndex = snap.sockets.findIndex((s) => s.url.includes('/socket.io'));
  const sock = snap.sockets[sockIndex];
  const ff = snap.firstFrames.find((f) => f.index === 0) ?? snap.firstFrames[0];
  if (!sock || !ff) throw new Error('no socket or no first frame recorded');
  const ws = sock.createdAt;
  const req = (event: string) => snap.requests.find((r) => r.socket === sockIndex && r.event === event);
  // mediasoup-client's Device.load() makes a throw-away RTCPeerConnection first: use the one that connected.
  const pc = snap.pcs.find((x) => x.states.some((s) => s.kind === 'pc' && s.state === 'connected'));
  const state = (kind: string, ...states: string[]) =>
    pc?.states.find((s) => s.kind === kind && states.includes(s.state))?.at;
  const resume = req('stream:resume');
  const pcConnected = state('pc', 'connected');
  if (resume?.ackAt == null || pcConnected === undefined) throw new Error('consumer never became ready');
  const ready = Math.max(resume.ackAt, pcConnected);
  const steps: Record<string, number> = {};
  const put = (k: string, v: number | null | undefined) => {
    if (v !== null && v !== undefined) steps[k] = r1(v - ws);
  };
  put('socketOpen', sock.openAt);
  put('socketConnected', sock.connectAckAt);
  for (const e of ['router:capabilities', 'transport:create', 'stream:consume', 'transport:connect']) {
    const r = req(e);
    put(`${e}.sent`, r?.sentAt);
    put(`${e}.ack`, r?.ackAt);
  }
  put('stream:resume.sent', resume.sentAt);
  put('stream:resume.ack', resume.ackAt);
  put('iceConnected', state('ice', 'connected', 'completed'));
  put('dtlsConnected', pcConnected);
  put('ready', ready);
  put('firstFrameReceived', ff.receiveTime);
  put('firstFramePresented', ff.presentationTime);
  return { ws, ready, ff, steps };
}

async function pull(
  p: Platform,
  bp: BenchPage,
  kind: PullKind,
  cam: string,
  profile: Profile,
): Promise<Pull> {
  const result: Pull = { kind, cam, profile };
  let probe: RtspProbe | undefined;
  try {
    if (kind === 'warm') {
      await p.ensure(cam, profile); // keeps it running; it is live already
    } else if (await p.status(cam, profile)) {
      await p.stopIngest(cam, profile);
      await sleep(500);
    }
    if (kind === 'coldRunning') {
      // Something else watches the camera: its encoder runs, GOP after GOP, like a real camera's.
      probe = new RtspProbe(`${p.rtspUrl}/${cam}/${profile}`, { keepOpen: true });
      result.probe = await probe.timings;
    }
    const hold = await bp.load(p.playerUrl([p.token(cam, profile)]));
    // A random phase against the GOP, and a page that has settled after hydration.
    await sleep(150 + (kind === 'cold' ? 0 : Math.random() * GOP_MS));
    const t0 = Date.now();
    let t1 = t0;
    if (kind !== 'warm') {
      await p.ensure(cam, profile);
      t1 = Date.now();
    }
    hold.release();
    await bp.waitFirstFrames(1, 20_000);
    const snap = await bp.snapshot();
    await bp.blank();
    const t = pageTimes(snap);
    result.steps = t.steps;
    result.overheadMs = r1(t.ready - t.ws);
    result.keyFrameWaitMs = r1(t.ff.presentationTime - t.ready);
    if (t.ff.receiveTime !== null) result.decodeMs = r1(t.ff.presentationTime - t.ff.receiveTime);
    if (kind === 'warm') {
      result.totalMs = r1(t.ff.presentationTime - t.ws);
    } else {
      const wall = (x: number) => snap.timeOrigin + x;
      result.totalMs = r1(wall(t.ff.presentationTime) - t0);
      const status = await p.status(cam, profile);
      const tl: StreamStatus['timeline'] = status?.timeline ?? {};
      const sim = p.simEvents(t0);
      const spawned = tl.ingest_spawned ?? t0;
      const connected = sim.find((e) => e.at >= spawned - 5 && e.text.startsWith('client connected'));
      const started = sim.find((e) => e.text.startsWith(`pipeline started /${cam}/${profile} `));
      const server: Record<string, number> = {};
      const put = (k: string, at: number | undefined) => {
        if (at !== undefined) server[k] = r1(at - t0);
      };
      put('ensureReturned', t1);
      put('ingestSpawned', tl.ingest_spawned);
      put('simClientConnected', connected?.at);
      if (kind === 'cold') put('simPipelineStarted', started?.at);
      put('firstRtpAtRelay', tl.first_rtp);
      put('firstKeyFrameAtRelay', tl.first_keyframe);
      put('pageSocketCreated', wall(t.ws));
      put('pageReady', wall(t.ready));
      put('firstKeyFrameToConsumer', tl.first_consumer_frame);
      if (t.ff.receiveTime !== null) put('firstFrameReceived', wall(t.ff.receiveTime));
      put('firstFramePresented', wall(t.ff.presentationTime));
      result.server = server;
      await p.stopIngest(cam, profile);
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
    await bp.blank().catch(() => undefined);
    if (kind !== 'warm') await p.stopIngest(cam, profile).catch(() => false);
  } finally {
    probe?.close();
  }
  return result;
}

function medians(records: (Record<string, number> | undefined)[], sort = true): Record<string, number> {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r ?? {})) keys.add(k);
  const m: Record<string, number> = {};
  for (const k of keys) {
    m[k] = r1(
      pct(
        records.map((r) => r?.[k] ?? Number.NaN),
        50,
      ),
    );
  }
  return sort ? Object.fromEntries(Object.entries(m).sort((a, b) => a[1] - b[1])) : m;
}

/** A cold pull's server-side steps as durations (per pull, so their medians can be compared). */
function coldSteps(s: Record<string, number>): Record<string, number> {
  const d = (from: string | undefined, to: string): [string, number] | undefined => {
    const a = from === undefined ? 0 : s[from];
    const b = s[to];
    return a === undefined || b === undefined ? undefined : [`${from ?? 'pull'}→${to}`, r1(b - a)];
  };
  const camera = s.simPipelineStarted === undefined ? 'simClientConnected' : 'simPipelineStarted';
  return Object.fromEntries(
    [
      d(undefined, 'ensureReturned'),
      d(undefined, 'ingestSpawned'),
      // Page side, not the platform: the held live-client chunk loads and runs, the socket is made.
      d('ensureReturned', 'pageSocketCreated'),
      d('ingestSpawned', 'simClientConnected'),
      d('simClientConnected', 'simPipelineStarted'),
      d(camera, 'firstRtpAtRelay'),
      d('firstKeyFrameAtRelay', 'firstKeyFrameToConsumer'),
      d('firstKeyFrameToConsumer', 'firstFrameReceived'),
      d('firstFrameReceived', 'firstFramePresented'),
      d(undefined, 'pageReady'),
      d('pageReady', 'firstKeyFrameAtRelay'),
    ].filter((x): x is [string, number] => x !== undefined),
  );
}

function summarise(pulls: Pull[]) {
  const ok = pulls.filter((x) => !x.error);
  return {
    pulls: pulls.length,
    failed: pulls.length - ok.length,
    errors: pulls.filter((x) => x.error).map((x) => `${x.cam}/${x.profile}: ${x.error}`),
    totalMs: dist(ok.map((x) => x.totalMs ?? Number.NaN)),
    platformOverheadMs: dist(ok.map((x) => x.overheadMs ?? Number.NaN)),
    keyFrameWaitMs: dist(ok.map((x) => x.keyFrameWaitMs ?? Number.NaN)),
    receivedToPresentedMs: dist(ok.map((x) => x.decodeMs ?? Number.NaN)),
    pageStepsMedianMs: medians(ok.map((x) => x.steps)),
    ...(ok.some((x) => x.server)
      ? {
          coldAnatomyMedianMs: medians(ok.map((x) => x.server)),
          coldStepsMedianMs: medians(
            ok.map((x) => (x.server ? coldSteps(x.server) : undefined)),
            false,
          ),
        }
      : {}),
    ...(ok.some((x) => x.probe)
      ? {
          rtspAloneMedianMs: medians(
            ok.map((x) =>
              x.probe
                ? Object.fromEntries(
                    Object.entries(x.probe)
                      .filter(([k, v]) => k !== 'startedAtWall' && typeof v === 'number')
                      .map(([k, v]) => [k, r1(v as number)]),
                  )
                : undefined,
            ),
          ),
        }
      : {}),
  };
}

function printSummary(label: string, s: ReturnType<typeof summarise>): void {
  out(
    `  ${label}: ${s.pulls - s.failed}/${s.pulls} pulls — total ${fmt(s.totalMs)}; platform overhead ${fmt(s.platformOverheadMs)}; key-frame wait ${fmt(s.keyFrameWaitMs)} (of which received→presented ${fmt(s.receivedToPresentedMs)})`,
  );
  for (const e of s.errors.slice(0, 5)) out(`    failed: ${e}`);
  out(
    `    page steps (median ms after the socket was created): ${Object.entries(s.pageStepsMedianMs)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  if (s.coldAnatomyMedianMs)
    out(
      `    cold start (median ms after the pull): ${Object.entries(s.coldAnatomyMedianMs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (s.coldStepsMedianMs)
    out(
      `    cold start steps (median of each pull's durations, ms): ${Object.entries(s.coldStepsMedianMs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (s.rtspAloneMedianMs)
    out(
      `    the camera alone (raw RTSP client on an idle mount, median ms): ${Object.entries(
        s.rtspAloneMedianMs,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
}

// ——— 2. glass-to-glass ———

function rate(a: InboundStats[], b: InboundStats[], num: keyof InboundStats, den: keyof InboundStats) {
  const sum = (xs: InboundStats[], k: keyof InboundStats) => xs.reduce((s, x) => s + Number(x[k]), 0);
  const d = sum(b, den) - sum(a, den);
  return d > 0 ? r1(((sum(b, num) - sum(a, num)) / d) * 1000) : Number.NaN;
}

async function glassToGlass(p: Platform, bp: BenchPage, simUrl: string, profile: Profile) {
  const cam = 'strip01';
  await p.ensure(cam, profile, `${simUrl}/cam01/${profile}`);
  await p.waitLive(cam, profile);
  const hold = await bp.load(p.playerUrl([p.token(cam, profile)]));
  hold.release();
  await bp.waitFirstFrames(1, 20_000);
  await sleep(2000); // past start-up: the jitter buffer has settled
  const in0 = await bp.inbound();
  const strip = await bp.strip(0, G2G_FRAMES, (G2G_FRAMES * 1000) / FPS + 10_000);
  const in1 = await bp.inbound();
  const snap = await bp.snapshot();
  await bp.blank();
  await p.stopIngest(cam, profile);
  const at = (x: number) => snap.timeOrigin + x;
  const s = strip.samples;
  const display = s.map((x: StripSample) => at(x.expectedDisplayTime) - x.capture);
  const presented = s.map((x) => at(x.presentationTime) - x.capture);
  const received = s.map((x) => (x.receiveTime === null ? Number.NaN : at(x.receiveTime) - x.capture));
  const browser = s.map((x) => (x.receiveTime === null ? Number.NaN : x.expectedDisplayTime - x.receiveTime));
  const callback = s.map((x) => x.dateNow - x.capture);
  return {
    profile,
    frames: s.length,
    rejected: strip.rejected,
    presentedFps: r1(
      (s.length + Object.values(strip.rejected).reduce((x, y) => x + y, 0)) / (strip.elapsedMs / 1000),
    ),
    captureToExpectedDisplayMs: dist(display),
    captureToPresentedMs: dist(presented),
    captureToDateNowInCallbackMs: dist(callback),
    captureToLastPacketReceivedMs: dist(received),
    receivedToExpectedDisplayMs: dist(browser),
    chromium: {
      jitterBufferMsPerFrame: rate(in0, in1, 'jitterBufferDelay', 'jitterBufferEmittedCount'),
      decodeMsPerFrame: rate(in0, in1, 'totalDecodeTime', 'framesDecoded'),
      receiveToDecodedMsPerFrame: rate(in0, in1, 'totalProcessingDelay', 'framesDecoded'),
      decoder: in1[0]?.decoderImplementation ?? '',
    },
    clockCheckMs: r1(snap.dateNow - (snap.timeOrigin + snap.perfNow)),
  };
}

// ——— 3. a wall of tiles ———

async function wall(p: Platform, bp: BenchPage, cams: string[], profile: Profile) {
  for (const cam of cams) await p.ensure(cam, profile);
  for (const cam of cams) await p.waitLive(cam, profile);
  const hold = await bp.load(p.playerUrl(cams.map((c) => p.token(c, profile))));
  hold.release();
  await bp.waitFirstFrames(cams.length, 30_000);
  await sleep(2000);
  const f0 = await bp.frames();
  const in0 = await bp.inbound();
  const t0 = Date.now();
  const load0 = loadavg()[0] ?? 0;
  const cpu = cpuByCommand();
  await sleep(WALL_SECONDS * 1000);
  const cpuPctOfOneCore = cpu.stop();
  const f1 = await bp.frames();
  const in1 = await bp.inbound();
  const dt = (Date.now() - t0) / 1000;
  const load1 = loadavg()[0] ?? 0;
  const sources = await p.streams();
  await bp.blank();
  const perTile = cams.map((_c, i) => r1(((f1[i] ?? 0) - (f0[i] ?? 0)) / dt));
  // mediasoup-client's probator (bandwidth probation) track is not a tile.
  const decoded = in1
    .filter((b) => b.trackIdentifier !== 'probator')
    .map((b) => {
      const a = in0.find((x) => x.trackIdentifier === b.trackIdentifier);
      return {
        fps: r1((b.framesDecoded - (a?.framesDecoded ?? 0)) / dt),
        dropped: b.framesDropped - (a?.framesDropped ?? 0),
        freezes: b.freezeCount - (a?.freezeCount ?? 0),
        lost: b.packetsLost - (a?.packetsLost ?? 0),
      };
    });
  return {
    tiles: cams.length,
    profile,
    seconds: r1(dt),
    presentedFpsPerTile: perTile,
    presentedFpsMin: Math.min(...perTile),
    decodedFpsPerTrack: decoded.map((d) => d.fps),
    framesDroppedTotal: decoded.reduce((s, d) => s + d.dropped, 0),
    freezesTotal: decoded.reduce((s, d) => s + d.freezes, 0),
    packetsLostTotal: decoded.reduce((s, d) => s + d.lost, 0),
    sourceFps: sources.filter((s) => s.profile === profile && cams.includes(s.cameraId)).map((s) => s.fps),
    loadAverage1m: [r1(load0), r1(load1)],
    cpuPctOfOneCoreByCommand: cpuPctOfOneCore,
  };
}

// ——— the run ———

/** Share of the machine's CPU time that was busy over `ms`. */
async function busyShare(ms: number): Promise<number> {
  const total = () =>
    cpus().reduce(
      (acc, c) => {
        const t = c.times;
        acc.all += t.user + t.nice + t.sys + t.irq + t.idle;
        acc.idle += t.idle;
        return acc;
      },
      { all: 0, idle: 0 },
    );
  const a = total();
  await sleep(ms);
  const b = total();
  const all = b.all - a.all;
  return all > 0 ? 1 - (b.idle - a.idle) / all : 0;
}

/** Waits (up to `maxMs`) until the machine is mostly idle: the figures are about this platform. */
async function waitQuiet(maxMs: number): Promise<number> {
  const until = Date.now() + maxMs;
  let busy = await busyShare(3000);
  while (busy > 0.25 && Date.now() < until) {
    out(`  waiting for a quieter machine (${Math.round(busy * 100)} % CPU busy)…`);
    busy = await busyShare(10_000);
  }
  return Math.round(busy * 100);
}

export async function runBrowserParts(): Promise<Record<string, unknown>> {
  out(
    `browser: first frame, glass-to-glass, wall (Chromium; GOP ${GOP} frames at ${FPS} fps = ${GOP_MS} ms; ${WORKERS} mediasoup workers)`,
  );
  const busyAtStart = await waitQuiet(Number(process.env.QUIET_WAIT_MS ?? 300_000));
  const load = loadavg()[0] ?? 0;
  out(
    `  machine: ${busyAtStart} % CPU busy before the start, load average ${load.toFixed(2)} (${cpus().length} cores)`,
  );
  // CPU that other processes (not this benchmark's tree) used during each phase, % of one core.
  const foreign: Record<string, number> = {};
  let phaseCpu = foreignCpu();
  const phase = (name: string) => {
    foreign[name] = phaseCpu.stop();
    phaseCpu = foreignCpu();
    return `other processes ${foreign[name]} % of a core`;
  };
  const platform = await Platform.start({ gop: GOP, workers: WORKERS, cameras: 8 });
  let browser: Browser | undefined;
  let sim: Awaited<ReturnType<typeof startSim>> | undefined;
  try {
    browser = await launchChromium();
    const bp = await BenchPage.open(browser);

    // Warm: two cameras ingested and live before the pulls.
    const warmSet: [string, Profile][] = [
      ['cam01', 'main'],
      ['cam02', 'sub'],
    ];
    for (const [c, pr] of warmSet) await platform.ensure(c, pr);
    for (const [c, pr] of warmSet) await platform.waitLive(c, pr);
    // One untimed pull first: the page, Chromium's decoder and the pipe between workers warm up.
    await pull(platform, bp, 'warm', 'cam02', 'sub');
    phase('startUp');
    const warm: Pull[] = [];
    for (let i = 0; i < WARM_PULLS; i++) {
      const [c, pr] = warmSet[i % warmSet.length] as [string, Profile];
      warm.push(await pull(platform, bp, 'warm', c, pr));
    }
    const warmS = summarise(warm);
    printSummary(`warm (already ingested) [${phase('warm')}]`, warmS);

    // Cold: cam03..cam08 × main/sub, each stopped after its pull (its simulated camera too).
    const coldSet: [string, Profile][] = [];
    for (let i = 3; i <= 8; i++)
      for (const pr of ['sub', 'main'] as Profile[]) coldSet.push([`cam${String(i).padStart(2, '0')}`, pr]);
    const cold: Pull[] = [];
    for (let i = 0; i < COLD_PULLS; i++) {
      const [c, pr] = coldSet[i % coldSet.length] as [string, Profile];
      cold.push(await pull(platform, bp, 'cold', c, pr));
    }
    const coldS = summarise(cold);
    printSummary(
      `cold (ensure-ingest in the pull; simulated camera idle, its encoder starts) [${phase('cold')}]`,
      coldS,
    );

    const coldRunning: Pull[] = [];
    for (let i = 0; i < COLD_RUNNING_PULLS; i++) {
      const [c, pr] = coldSet[i % coldSet.length] as [string, Profile];
      coldRunning.push(await pull(platform, bp, 'coldRunning', c, pr));
    }
    const coldRunningS = summarise(coldRunning);
    printSummary(
      `cold (ensure-ingest in the pull; camera encoder already running) [${phase('coldEncoderRunning')}]`,
      coldRunningS,
    );

    // The ingest's ffmpeg alone against idle mounts: the node's arguments, and fewer probing.
    const ffRuns: FfmpegStart[] = [];
    for (let i = 0; i < FFMPEG_RUNS * 2; i++) {
      const [c, pr] = coldSet[i % coldSet.length] as [string, Profile];
      const variant: FfmpegVariant = i % 2 === 0 ? 'asShipped' : 'lowProbe';
      ffRuns.push(await ffmpegStart(variant, `${platform.rtspUrl}/${c}/${pr}`));
      await sleep(300);
    }
    const ffSummary = (v: FfmpegVariant) => {
      const runs = ffRuns.filter((r) => r.variant === v);
      return {
        args: variantArgs(v, 'rtsp://camera/url', 5004).join(' '),
        runs: runs.length,
        streamMappingMs: dist(runs.map((r) => r.streamMappingMs ?? Number.NaN)),
        firstRtpMs: dist(runs.map((r) => r.firstRtpMs ?? Number.NaN)),
        firstKeyFrameMs: dist(runs.map((r) => r.firstKeyFrameMs ?? Number.NaN)),
      };
    };
    const ffmpegCold = { asShipped: ffSummary('asShipped'), lowProbe: ffSummary('lowProbe') };
    out(
      `  ingest ffmpeg alone on an idle simulated camera, spawn → first key frame out: as shipped ${fmt(ffmpegCold.asShipped.firstKeyFrameMs)} (input analysed at p50 ${ffmpegCold.asShipped.streamMappingMs.p50} ms); without -fflags nobuffer, with -probesize 32 -analyzeduration 0: ${fmt(ffmpegCold.lowProbe.firstKeyFrameMs)} [${phase('ffmpegAlone')}]`,
    );

    const overheadAll = [...warm, ...cold, ...coldRunning]
      .filter((x) => !x.error)
      .map((x) => x.overheadMs ?? Number.NaN);
    const overheadDist = dist(overheadAll);
    const ratios = {
      platformOverheadP95OverTarget: r2(warmS.platformOverheadMs.p95 / TARGET_OVERHEAD_P95),
      platformOverheadP95AllPullsOverTarget: r2(overheadDist.p95 / TARGET_OVERHEAD_P95),
      warmTotalP95OverTarget: r2(warmS.totalMs.p95 / TARGET_WARM_P95),
      coldTotalP95OverWarmTarget: r2(coldS.totalMs.p95 / TARGET_WARM_P95),
    };
    out(
      `  → platform overhead p95 ${warmS.platformOverheadMs.p95} ms warm, ${overheadDist.p95} ms over all ${overheadDist.n} pulls; target ≤ ${TARGET_OVERHEAD_P95} ms (ratio ${ratios.platformOverheadP95OverTarget} warm, ${ratios.platformOverheadP95AllPullsOverTarget} all)`,
    );
    out(
      `  → warm total p95 ${warmS.totalMs.p95} ms; target ≤ 250 ms + one GOP = ${TARGET_WARM_P95} ms (ratio ${ratios.warmTotalP95OverTarget}); cold total p95 ${coldS.totalMs.p95} ms (${ratios.coldTotalP95OverWarmTarget} × the warm target)`,
    );

    // Glass-to-glass, with a camera of our own that paints its capture time into every frame.
    const simLatency = simPipelineLatencyMs();
    out(
      `  the simulated camera's GStreamer pipeline reports ${JSON.stringify(simLatency)} ms latency: its RTSP sinks hold each frame that long after its timestamp`,
    );
    phaseCpu = foreignCpu();
    sim = await startSim(['--gop', String(GOP), '--fps', String(FPS), '--time-strip']);
    const g2g = [];
    for (const pr of ['main', 'sub'] as Profile[]) {
      const r = await glassToGlass(platform, bp, sim.url, pr);
      g2g.push(r);
      const d = r.captureToExpectedDisplayMs;
      out(
        `  glass-to-glass ${pr}: ${r.frames} frames (rejected ${JSON.stringify(r.rejected)}): capture → expected display ${fmt(d)}; target p95 ≤ ${TARGET_G2G_P95} ms (ratio ${r2(d.p95 / TARGET_G2G_P95)})`,
      );
      out(
        `    capture → last packet received ${fmt(r.captureToLastPacketReceivedMs)}; received → expected display ${fmt(r.receivedToExpectedDisplayMs)}; presented ${r.presentedFps} fps; Chromium jitter buffer ${r.chromium.jitterBufferMsPerFrame} ms/frame, decode ${r.chromium.decodeMsPerFrame} ms/frame (${r.chromium.decoder}); page clock vs Date.now ${r.clockCheckMs} ms`,
      );
    }
    await sim.stop();
    sim = undefined;
    out(`    [${phase('glassToGlass')}]`);

    // A wall: 8 sub-stream tiles on one page.
    const wallCams = ['cam01', 'cam02', 'cam03', 'cam04', 'cam05', 'cam06', 'cam07', 'cam08'];
    const w = await wall(platform, bp, wallCams, 'sub');
    const wallForeign = phase('wall');
    out(
      `  wall of ${w.tiles} ${w.profile} tiles for ${w.seconds} s: presented fps per tile ${w.presentedFpsPerTile.join(', ')} (min ${w.presentedFpsMin}); decoded ${w.decodedFpsPerTrack.join(', ')}; dropped ${w.framesDroppedTotal}, freezes ${w.freezesTotal}, packets lost ${w.packetsLostTotal}; sources ${w.sourceFps.join(', ')} fps; load ${w.loadAverage1m.join(' → ')} [${wallForeign}]`,
    );
    out(
      `    CPU by command (% of one core; ${cpus().length} cores): ${Object.entries(
        w.cpuPctOfOneCoreByCommand,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    await bp.close();

    return {
      browserSetup: {
        at: new Date().toISOString(),
        chromium: browser.version(),
        gopFrames: GOP,
        fps: FPS,
        gopMs: GOP_MS,
        mediasoupWorkers: WORKERS,
        loadAverageAtStart: r1(load),
        cpuBusyPctBeforeStart: busyAtStart,
        otherProcessesCpuPctOfOneCorePerPhase: foreign,
        method:
          'Each pull: the lab player page is loaded with one stream token and its live-client chunk held back (Playwright route) until the pull; ' +
          'page marks via an init script (bench/live/page-probe.js) on performance.now(): WebSocket created (= pull for warm), socket.io acks, RTCPeerConnection states, ' +
          'first requestVideoFrameCallback (presentationTime, receiveTime). Ready = max(stream:resume ack, RTCPeerConnection connected). ' +
          'Overhead = socket created → ready; key-frame wait = ready → first frame presented; warm total = socket created → first frame presented. ' +
          'Cold total = Date.now() before POST /control/ingest → first frame presented (performance.timeOrigin + presentationTime). Percentiles nearest-rank.',
      },
      firstFrame: {
        targets: { platformOverheadP95Ms: TARGET_OVERHEAD_P95, warmTotalP95Ms: TARGET_WARM_P95 },
        warm: warmS,
        cold: coldS,
        coldEncoderRunning: coldRunningS,
        ingestFfmpegAloneOnIdleCamera: ffmpegCold,
        platformOverheadAllPullsMs: overheadDist,
        ratios,
        pulls: [...warm, ...cold, ...coldRunning],
      },
      glassToGlass: {
        targetP95Ms: TARGET_G2G_P95,
        simulatedCameraPipelineLatencyMs: simLatency,
        method:
          'rtsp-sim.py --time-strip writes Date-style wall-clock ms (time.time(), CLOCK_REALTIME; low 32 bits + CRC-8) into each raw frame on the encoder input; ' +
          'the page draws each presented frame (requestVideoFrameCallback) to a canvas, decodes the strip (frames with ambiguous blocks or a bad CRC are rejected) ' +
          'and compares with performance.timeOrigin + metadata.expectedDisplayTime.',
        results: g2g,
      },
      wall: w,
    };
  } finally {
    await sim?.stop().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    const code = await platform.stop();
    out(`  platform stopped (launcher exit ${code})`);
  }
}
