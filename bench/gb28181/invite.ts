// INVITE → first key frame at the producer, over the whole platform as `npm start` runs it (the
// launcher with its simulated GB/T 28181 platform, TCP passive media): each start is a real
// POST /api/cameras/:id/live (policy, audit, placement, ensure-ingest, INVITE, 200/ACK), the node's
// timeline gives every step; the ingest is then stopped (the gateway BYEs) and the next start
// begins cold. At the end a Chromium page plays one GB channel through the lab player: decoded
// frames at the clip's resolution.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { freeSipPort } from '../../infra/gb-sim/harness.ts';
import { quantiles } from '../gateway/setup.ts';
import { freePort, workerBin } from '../live/platform.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const STEPS = ['invite_ok', 'first_rtp', 'first_ps_pack', 'first_keyframe', 'first_producer_packet'] as const;

interface Status {
  state: string;
  width?: number;
  height?: number;
  timeline: Partial<Record<(typeof STEPS)[number] | 'invite_sent', number>>;
}

class GbPlatform {
  readonly logs: string[] = [];
  constructor(
    readonly child: ChildProcess,
    readonly exited: Promise<number | null>,
    readonly dataDir: string,
    readonly urls: { web: string; gateway: string; media: string },
  ) {}

  static async start(): Promise<GbPlatform> {
    if (!existsSync(join(ROOT, 'web', '.next', 'BUILD_ID'))) throw new Error('web has no production build');
    const dataDir = mkdtempSync(join(tmpdir(), 'wall-bench-gb-'));
    const port = { web: await freePort(), gateway: await freePort(), media: await freePort() };
    const base = 42_000 + Math.floor(Math.random() * 40) * 100;
    const env = {
      ...process.env,
      MEDIASOUP_WORKER_BIN: workerBin(),
      WALL_DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: 'warn',
      WEB_PORT: String(port.web),
      GATEWAY_PORT: String(port.gateway),
      MEDIA_PORT: String(port.media),
      RTSP_PORT: String(await freePort()),
      WALL_REDIS_PORT: String(await freePort()),
      GB_SIP_PORT: String(await freeSipPort()),
      SIM_CAMERAS: '1',
      MEDIASOUP_WORKERS: '1',
      RTC_MIN_PORT: String(base),
      RTC_MAX_PORT: String(base + 49),
      WEBRTC_PORT: '21960', // below the ephemeral range: media-server/test/media-node.ts
      MEDIA_GB_PORT_MIN: String(base + 70),
      MEDIA_GB_PORT_MAX: String(base + 99),
      INGEST_IDLE_TIMEOUT_MS: '300000',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts'], {
      cwd: join(ROOT, 'infra'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const p = new GbPlatform(child, exited, dataDir, {
      web: `http://127.0.0.1:${port.web}`,
      gateway: `http://127.0.0.1:${port.gateway}`,
      media: `http://127.0.0.1:${port.media}`,
    });
    let pending = '';
    let onReady: (() => void) | undefined;
    const take = (b: Buffer) => {
      pending += b.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        p.logs.push(line);
        if (line === 'READY') onReady?.();
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      void exited.then(() => reject(new Error(`launcher exited:\n${p.logs.slice(-30).join('\n')}`)));
      setTimeout(() => reject(new Error('launcher not READY within 240 s')), 240_000).unref();
    });
    return p;
  }

  json(file: string): Record<string, unknown> {
    return JSON.parse(readFileSync(join(this.dataDir, file), 'utf8')) as Record<string, unknown>;
  }

  /** Simulator events the launcher printed (`[gb-sim] {…}`). */
  simEvents(): Record<string, unknown>[] {
    return this.logs.flatMap((l) => {
      const m = /^\[gb-sim\] (\{.*\})$/.exec(l);
      if (!m) return [];
      try {
        return [JSON.parse(m[1] as string) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(t);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

async function session(gateway: string, origin: string, username: string, password: string) {
  const res = await fetch(`${gateway}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return (method: string, path: string, body?: unknown) =>
    fetch(`${gateway}${path}`, {
      method,
      headers: { cookie, origin, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

export async function runInvite(
  print: (s: string) => void,
  starts = Number(process.env.GB_INVITE_STARTS ?? 24),
): Promise<Record<string, unknown>> {
  print(`invite: ${starts} cold starts of GB channels through the whole platform (launcher, TCP passive)`);
  const t0 = Date.now();
  const p = await GbPlatform.start();
  print(`  platform READY in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    const password = String(p.json('demo-credentials.json').password);
    const secret = String(p.json('secrets.json').mediaControlSecret);
    const operator = await session(p.urls.gateway, p.urls.web, 'eoc.operator', password);
    const admin = await session(p.urls.gateway, p.urls.web, 'admin', password);
    const control = (method: string, path: string) =>
      fetch(`${p.urls.media}${path}`, { method, headers: { authorization: `Bearer ${secret}` } });
    // The simulated platform's channels, once its catalogue is in the registry.
    let cams: { id: string; state: string; grade: number; name: string }[] = [];
    for (let i = 0; i < 300 && cams.length === 0; i++) {
      const res = await operator('GET', `/api/cameras?q=${encodeURIComponent('路口')}&limit=500`);
      const items = (
        (await res.json()) as {
          items: { id: string; sourceKind: string; state: string; grade: number; name: string }[];
        }
      ).items;
      cams = items.filter((c) => c.sourceKind === 'gb28181');
      if (cams.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    if (cams.length === 0) throw new Error('the simulated platform’s catalogue did not arrive');
    // Filed as registered when the registry refused the catalogue defaults: accept them (registrar).
    for (const c of cams.filter((x) => x.state === 'registered')) {
      const res = await admin('PATCH', `/api/cameras/${c.id}`, { state: 'accepted' });
      if (!res.ok) throw new Error(`accept ${c.id}: ${res.status}`);
      c.state = 'accepted';
    }
    const steps: Record<string, number[]> = Object.fromEntries([...STEPS, 'http'].map((k) => [k, []]));
    for (let i = 0; i < starts; i++) {
      const cam = cams[i % cams.length] as (typeof cams)[number];
      const byesBefore = p.simEvents().filter((e) => e.event === 'bye').length;
      const h0 = performance.now();
      const res = await operator('POST', `/api/cameras/${cam.id}/live`, { profile: 'main' });
      if (res.status !== 200) throw new Error(`live ${cam.id}: ${res.status} ${await res.text()}`);
      steps.http?.push(performance.now() - h0);
      let s: Status | undefined;
      for (let k = 0; k < 750; k++) {
        const r = await control('GET', `/control/streams/${cam.id}/main`);
        s = r.ok ? ((await r.json()) as Status) : undefined;
        if (s?.timeline.first_producer_packet !== undefined) break;
        await new Promise((r2) => setTimeout(r2, 20));
      }
      const sent = s?.timeline.invite_sent;
      if (!s || sent === undefined || s.timeline.first_producer_packet === undefined) {
        throw new Error(`start ${i}: no producer packet: ${JSON.stringify(s)}`);
      }
      for (const k of STEPS) {
        const at = s.timeline[k];
        if (at !== undefined) steps[k]?.push(at - sent);
      }
      await control('DELETE', `/control/ingest/${cam.id}/main`);
      for (let k = 0; k < 100; k++) {
        if (p.simEvents().filter((e) => e.event === 'bye').length > byesBefore) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const q = Object.fromEntries(Object.entries(steps).map(([k, xs]) => [k, quantiles(xs)]));
    const kf = q.first_producer_packet as ReturnType<typeof quantiles>;
    print(
      `  INVITE → first key frame at the producer: p50 ${kf.p50} ms, p95 ${kf.p95} ms (n ${kf.n})\n` +
        STEPS.map((k) => `    ${k.padEnd(22)} p50 ${q[k]?.p50} ms  p95 ${q[k]?.p95} ms`).join('\n') +
        `\n    POST live (to the token) p50 ${q.http?.p50} ms  p95 ${q.http?.p95} ms`,
    );

    // A browser plays one GB channel (lab player, real WebRTC, decoded frames).
    const cam = cams[0] as (typeof cams)[number];
    const live = (await (
      await operator('POST', `/api/cameras/${cam.id}/live`, { profile: 'main' })
    ).json()) as {
      token: string;
      nodeUrl: string;
    };
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    let played: Record<string, unknown>;
    try {
      const page = await browser.newPage();
      const b0 = Date.now();
      await page.goto(
        `${p.urls.web}/lab/player?${new URLSearchParams({ node: live.nodeUrl, token: live.token })}`,
      );
      // Page code as strings: the bench compiles without the DOM library.
      await page.waitForFunction("(document.querySelector('video')?.videoWidth ?? 0) > 0", undefined, {
        timeout: 20_000,
      });
      const firstFrameMs = Date.now() - b0;
      played = (await page.evaluate(`new Promise((resolve) => {
        const v = document.querySelector('video');
        let frames = 0;
        const t = performance.now();
        const tick = () => {
          frames++;
          if (performance.now() - t < 2000) v.requestVideoFrameCallback(tick);
          else resolve({ width: v.videoWidth, height: v.videoHeight, framesIn2s: frames });
        };
        v.requestVideoFrameCallback(tick);
      })`)) as Record<string, unknown>;
      played = { ...played, firstFrameMs };
    } finally {
      await browser.close();
    }
    print(`  Chromium played ${cam.name}: ${JSON.stringify(played)}`);
    return { starts, stepsFromInviteSentMs: q, browser: played };
  } finally {
    await p.stop();
  }
}
