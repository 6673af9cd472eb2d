// The whole platform for the browser parts of `bench live`: the launcher on free ports with a
// throw-away data directory (as bench/startup does), stream tokens signed with the key the launcher
// generated (as web/e2e/live.spec.ts does), and the media node's control API.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const NODE_ID = 'media-1';

export type Profile = 'main' | 'sub';

export interface StreamStatus {
  cameraId: string;
  profile: Profile;
  state: string;
  viewers: number;
  fps: number;
  bitrateKbps: number;
  width?: number;
  height?: number;
  restarts: number;
  startedAt: number;
  timeline: Partial<
    Record<'ingest_spawned' | 'first_rtp' | 'first_keyframe' | 'first_consumer_frame', number>
  >;
}

/** A line the launcher printed, with the wall-clock time it arrived (ms). */
export interface LogLine {
  at: number;
  line: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** `count` consecutive ports free for both UDP and TCP (WebRTC servers listen on both). */
async function freeRange(count: number, lo: number, hi: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = lo + Math.floor(Math.random() * (hi - lo - count));
    let ok = true;
    for (let p = first; p < first + count && ok; p++) ok = (await udpFree(p)) && (await tcpFree(p));
    if (ok) return first;
  }
  throw new Error(`no ${count} free ports in ${lo}..${hi}`);
}

export function workerBin(): string {
  const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'wall', 'mediasoup-worker');
  const found = existsSync(dir)
    ? readdirSync(dir)
        .filter((d) => d.startsWith('3.12.16-') && existsSync(join(dir, d, 'mediasoup-worker')))
        .map((d) => join(dir, d, 'mediasoup-worker'))
    : [];
  if (!found[0]) throw new Error('MEDIASOUP_WORKER_BIN is not set and no built worker was found');
  return found[0];
}

interface Secrets {
  streamTokenPublicKey: string;
  streamTokenPrivateKey: string;
  mediaControlSecret: string;
}

export class Platform {
  readonly webUrl: string;
  readonly gatewayUrl: string;
  readonly mediaUrl: string;
  readonly rtspUrl: string;
  readonly gop: number;
  readonly fps = 25;
  readonly workers: number;
  readonly logs: LogLine[] = [];
  readonly #child: ChildProcess;
  readonly #dataDir: string;
  readonly #exited: Promise<number | null>;
  #secrets: (Secrets & { key: KeyObject }) | undefined;

  private constructor(o: {
    child: ChildProcess;
    exited: Promise<number | null>;
    dataDir: string;
    webUrl: string;
    gatewayUrl: string;
    mediaUrl: string;
    rtspUrl: string;
    gop: number;
    workers: number;
  }) {
    this.#child = o.child;
    this.#exited = o.exited;
    this.#dataDir = o.dataDir;
    this.webUrl = o.webUrl;
    this.gatewayUrl = o.gatewayUrl;
    this.mediaUrl = o.mediaUrl;
    this.rtspUrl = o.rtspUrl;
    this.gop = o.gop;
    this.workers = o.workers;
  }

  /** Starts the launcher (SIM_GOP frames at 25 fps, MEDIASOUP_WORKERS workers) and waits for READY. */
  static async start(o: {
    gop: number;
    workers: number;
    cameras: number;
    /** More launcher settings (e.g. SIM_STRIP_CAMERAS, RECORDING_PLAN). */
    env?: Record<string, string>;
  }): Promise<Platform> {
    if (!existsSync(join(ROOT, 'web', '.next', 'BUILD_ID'))) {
      throw new Error(
        'web has no production build: cd web && NEXT_TELEMETRY_DISABLED=1 ./node_modules/.bin/next build',
      );
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'wall-bench-live-'));
    const ports = {
      web: await freePort(),
      gateway: await freePort(),
      media: await freePort(),
      rtsp: await freePort(),
      gb: await freePort(),
      redis: await freePort(),
    };
    const webrtc = await freeRange(o.workers, 20000, 29000);
    const rtc = await freeRange(200, 30000, 39000);
    const env: Record<string, string | undefined> = {
      ...process.env,
      MEDIASOUP_WORKER_BIN: workerBin(),
      WALL_DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: 'warn',
      WEB_PORT: String(ports.web),
      GATEWAY_PORT: String(ports.gateway),
      MEDIA_PORT: String(ports.media),
      RTSP_PORT: String(ports.rtsp),
      GB_SIP_PORT: String(ports.gb),
      WALL_REDIS_PORT: String(ports.redis),
      SIM_GOP: String(o.gop),
      SIM_CAMERAS: String(o.cameras),
      MEDIASOUP_WORKERS: String(o.workers),
      WEBRTC_PORT: String(webrtc),
      RTC_MIN_PORT: String(rtc),
      RTC_MAX_PORT: String(rtc + 199),
      // Cold pulls stop their ingest explicitly; warm ones must not time out between pulls.
      INGEST_IDLE_TIMEOUT_MS: '300000',
      ...o.env,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts'], {
      cwd: join(ROOT, 'infra'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const logs: LogLine[] = [];
    let pending = '';
    let ready = false;
    let onReady: (() => void) | undefined;
    const take = (b: Buffer) => {
      pending += b.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const at = Date.now();
      for (const line of lines) {
        logs.push({ at, line });
        if (logs.length > 20000) logs.splice(0, 5000);
        if (line === 'READY') {
          ready = true;
          onReady?.();
        }
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      if (ready) resolve();
      void exited.then(() =>
        reject(
          new Error(
            `launcher exited before READY:\n${logs
              .slice(-40)
              .map((l) => l.line)
              .join('\n')}`,
          ),
        ),
      );
      setTimeout(() => reject(new Error('launcher not READY within 180 s')), 180_000).unref();
    });
    process.stdout.write(
      `  platform READY in ${((Date.now() - t0) / 1000).toFixed(1)} s (data ${dataDir})\n`,
    );
    const p = new Platform({
      child,
      exited,
      dataDir,
      webUrl: `http://127.0.0.1:${ports.web}`,
      gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
      mediaUrl: `http://127.0.0.1:${ports.media}`,
      rtspUrl: `rtsp://127.0.0.1:${ports.rtsp}`,
      gop: o.gop,
      workers: o.workers,
    });
    p.logs.push(...logs);
    // Keep collecting into the instance's array from now on.
    child.stdout?.removeAllListeners('data');
    child.stderr?.removeAllListeners('data');
    const keep = (b: Buffer) => {
      pending += b.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const at = Date.now();
      for (const line of lines) {
        p.logs.push({ at, line });
        if (p.logs.length > 20000) p.logs.splice(0, 5000);
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return p;
  }

  /** SIGINT, then waits for the launcher (which stops every service) to exit. */
  async stop(): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGINT');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
    const code = await this.#exited;
    clearTimeout(timer);
    rmSync(this.#dataDir, { recursive: true, force: true });
    return code;
  }

  /** The demo users' password the launcher kept (demo-credentials.json). */
  demoPassword(): string {
    return (
      JSON.parse(readFileSync(join(this.#dataDir, 'demo-credentials.json'), 'utf8')) as { password: string }
    ).password;
  }

  #secretsOf(): Secrets & { key: KeyObject } {
    if (!this.#secrets) {
      const raw = JSON.parse(readFileSync(join(this.#dataDir, 'secrets.json'), 'utf8')) as Secrets;
      const key = createPrivateKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: raw.streamTokenPublicKey, d: raw.streamTokenPrivateKey },
        format: 'jwk',
      });
      this.#secrets = { ...raw, key };
    }
    return this.#secrets;
  }

  /** A stream token as the gateway would issue it (EdDSA, 60 s, audience = the node). */
  token(cam: string, prof: Profile): string {
    const b64 = (v: string) => Buffer.from(v, 'utf8').toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'bench', cam, prof, aud: NODE_ID, iat: now, exp: now + 60, jti: randomUUID() };
    const input = `${b64(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}`;
    return `${input}.${sign(null, Buffer.from(input), this.#secretsOf().key).toString('base64url')}`;
  }

  playerUrl(tokens: string[]): string {
    const q = new URLSearchParams({ node: this.mediaUrl });
    for (const t of tokens) q.append('token', t);
    return `${this.webUrl}/lab/player?${q.toString()}`;
  }

  async #control(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.mediaUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.#secretsOf().mediaControlSecret}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** POST /control/ingest (the gateway's ensure-ingest). */
  async ensure(cameraId: string, profile: Profile, url?: string): Promise<StreamStatus> {
    const res = await this.#control('POST', '/control/ingest', {
      cameraId,
      profile,
      source: { kind: 'rtsp', url: url ?? `${this.rtspUrl}/${cameraId}/${profile}` },
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`ensure ${cameraId}/${profile}: ${res.status} ${text}`);
    return JSON.parse(text) as StreamStatus;
  }

  /** DELETE /control/ingest/:cam/:profile; false when it was not ingested. */
  async stopIngest(cameraId: string, profile: Profile): Promise<boolean> {
    const res = await this.#control('DELETE', `/control/ingest/${cameraId}/${profile}`);
    await res.arrayBuffer();
    return res.status === 204;
  }

  async status(cameraId: string, profile: Profile): Promise<StreamStatus | undefined> {
    const res = await this.#control('GET', `/control/streams/${cameraId}/${profile}`);
    if (res.status !== 200) {
      await res.arrayBuffer();
      return undefined;
    }
    return (await res.json()) as StreamStatus;
  }

  async streams(): Promise<StreamStatus[]> {
    const res = await this.#control('GET', '/control/streams');
    return ((await res.json()) as { streams: StreamStatus[] }).streams;
  }

  /** Waits until an ingest is live (a key frame reached the relay). */
  async waitLive(cameraId: string, profile: Profile, timeoutMs = 15_000): Promise<StreamStatus> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.status(cameraId, profile);
      if (s?.state === 'live') return s;
      if (Date.now() > until) throw new Error(`${cameraId}/${profile} not live: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The simulator's own log lines (`[cameras] HH:MM:SS.mmm rtsp-sim: …`) since `since`, with their
   * printed time turned into ms since the epoch (local time, today).
   */
  simEvents(since: number): { at: number; text: string }[] {
    const out: { at: number; text: string }[] = [];
    for (const l of this.logs) {
      if (l.at < since - 2000) continue;
      const m = /^\[cameras\] (\d\d):(\d\d):(\d\d)\.(\d\d\d) rtsp-sim: (.*)$/.exec(l.line);
      if (!m) continue;
      const d = new Date(l.at);
      d.setHours(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
      let at = d.getTime();
      if (at - l.at > 12 * 3600_000) at -= 24 * 3600_000; // printed just before midnight
      if (at >= since - 5) out.push({ at, text: m[5] ?? '' });
    }
    return out;
  }
}

/** An rtsp-sim.py of our own (e.g. with --time-strip), on a free port. */
export async function startSim(args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    '/usr/bin/python3',
    [join(ROOT, 'infra/cameras/rtsp-sim.py'), '--port', String(port), '--count', '1', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err = (err + b.toString()).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (/^READY /m.test(out)) resolve();
    });
    void exited.then(() => reject(new Error(`rtsp-sim exited:\n${err}`)));
    setTimeout(() => reject(new Error(`rtsp-sim not ready:\n${err}`)), 20_000).unref();
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  return {
    url: `rtsp://127.0.0.1:${port}`,
    stop: async () => {
      process.off('exit', kill);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The latency the simulated camera's own GStreamer pipeline reports (ms), per profile: its RTSP
 * sinks hold every frame until its timestamp plus this latency (videotestsrc's one frame plus the
 * encoder's), so it is part of the camera's glass-to-glass share.
 */
export function simPipelineLatencyMs(): Record<string, number> | undefined {
  const script = `
import importlib.util, json, time
spec = importlib.util.spec_from_file_location("sim", ${JSON.stringify(join(ROOT, 'infra/cameras/rtsp-sim.py'))})
sim = importlib.util.module_from_spec(spec); spec.loader.exec_module(sim)
from gi.repository import Gst
Gst.init(None)
class A: main_kbps = 1500; sub_kbps = 400; fps = 25; gop = 50
out = {}
for prof in sim.PROFILES:
    desc = sim.launch_string({"name": "X", "pattern": "smpte"}, prof, A, "constrained-baseline").strip()[1:-1]
    p = Gst.parse_launch(desc + " ! fakesink sync=true")
    p.set_state(Gst.State.PLAYING)
    p.get_state(5 * Gst.SECOND)
    time.sleep(0.5)
    q = Gst.Query.new_latency()
    if p.query(q):
        out[prof[0]] = q.parse_latency()[1] / 1e6
    p.set_state(Gst.State.NULL)
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, number>;
  } catch {
    return undefined;
  }
}
