// Registration storm: N simulated GB devices (one simulator process, each device its own socket)
// register at once with digest against a real gateway process (real PostgreSQL, Redis), then keep
// alive every 60 s. Figures: REGISTER latency as the devices saw it (first REGISTER → 200, over the
// 401 round trip), and the gateway process's CPU (/proc, all threads) while registering and while
// only keepalives flow. Every fresh registration also costs the gateway a DeviceInfo and a Catalog
// query (the simulated devices answer an empty catalogue): they are part of the storm.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { SourceSecretBox } from '../../gateway/src/registry/index.ts';
import { freeSipPort, GbSim as SimProcess } from '../../infra/gb-sim/harness.ts';
import { freshDatabase, REDIS_URL } from '../gateway/setup.ts';
import { freePort } from '../live/platform.ts';
import { cpuMeter } from './proc.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DOMAIN = '3204000000';

export async function runStorm(
  print: (s: string) => void,
  o = {
    devices: Number(process.env.GB_STORM_DEVICES ?? 2000),
    steadyS: Number(process.env.GB_STORM_STEADY_S ?? 60),
    transport: (process.env.GB_STORM_TRANSPORT ?? 'udp') as 'udp' | 'tcp',
  },
): Promise<Record<string, unknown>> {
  print(`storm: ${o.devices} devices REGISTER at once (${o.transport}), then keepalive every 60 s`);
  const world = await freshDatabase();
  const key = randomBytes(32).toString('base64url');
  const box = new SourceSecretBox(key);
  const password = 'storm-device-password';
  const base = '32040200001320000000';
  const owner = (
    await world.db.query<{ id: string }>(`SELECT id FROM organisations WHERE name = '常州市公安局天宁区分局'`)
  ).rows[0]?.id;
  await world.db.transaction(async (tx) => {
    for (let i = 0; i < o.devices; i++) {
      const id = randomUUID();
      const deviceId = `${base.slice(0, 14)}${String(Number(base.slice(14)) + i).padStart(6, '0')}`;
      await tx.query(
        `INSERT INTO source_systems (id, name, kind, owner_org_id, funding, connection, secret_ciphertext)
         VALUES ($1, $2, 'gb28181', $3, 'government', $4, $5)`,
        [id, `storm-${i}`, owner, JSON.stringify({ deviceId }), box.seal(id, { password })],
      );
    }
  });
  const sipPort = await freeSipPort();
  const httpPort = await freePort();
  let gateway: ChildProcess | undefined;
  let sim: SimProcess | undefined;
  try {
    gateway = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: join(ROOT, 'gateway'),
      env: {
        ...process.env,
        DATABASE_URL: world.url,
        REDIS_URL,
        GATEWAY_PORT: String(httpPort),
        SOURCE_SECRET_KEY: key,
        GB_SIP_ENABLED: 'true',
        GB_SIP_PORT: String(sipPort),
        GB_DOMAIN: DOMAIN,
        LOG_LEVEL: 'warn',
        DEMO_SEED: 'false',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const pid = gateway.pid as number;
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (i > 600) throw new Error('gateway not healthy');
      await new Promise((r) => setTimeout(r, 100));
    }
    const idle = cpuMeter(pid);
    await new Promise((r) => setTimeout(r, 3000));
    const idleCpu = idle.stop();

    const registering = cpuMeter(pid);
    const drops0 = udpReceiveBufferErrors();
    sim = new SimProcess(
      [
        ...['--server', `127.0.0.1:${sipPort}`, '--domain', DOMAIN, '--device-id', base],
        ...[
          '--devices',
          String(o.devices),
          '--channels',
          '0',
          '--transport',
          o.transport,
          '--keepalive',
          '60',
        ],
        ...['--quiet', '--concurrency', String(o.devices)],
      ],
      { password },
    );
    const simCpu = cpuMeter(sim.pid as number);
    const storm = await sim.waitFor((e) => e.event === 'storm-registered', 300_000);
    const simStormCpu = simCpu.stop();
    const drops = udpReceiveBufferErrors() - drops0;
    const load = loadavg().map((x) => Math.round(x * 100) / 100);
    // The registrations' follow-ups (DeviceInfo, Catalog) finish within a few seconds.
    await new Promise((r) => setTimeout(r, 5000));
    const regCpu = registering.stop();
    const rows = await world.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM gb_devices WHERE online',
    );
    const audits = await world.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'gb.register' AND result = 'ok'`,
    );

    const steady = cpuMeter(pid);
    await new Promise((r) => setTimeout(r, o.steadyS * 1000));
    const steadyCpu = steady.stop();
    const since = sim.events.length;
    sim.command({ cmd: 'stats' });
    const stats = await sim.waitFor((e) => e.event === 'stats', 10_000, since);

    const register = storm.register as Record<string, number>;
    const keepalive = stats.keepalive as Record<string, number>;
    const perRegisterMs = Math.round(((regCpu.cpuS * 1000) / Math.max(1, register.n ?? 1)) * 100) / 100;
    print(
      `  ${storm.registered}/${o.devices} registered in ${storm.seconds} s; online in the database ${rows.rows[0]?.n}, gb.register audited ${audits.rows[0]?.n}\n` +
        `  REGISTER latency (first REGISTER → 200, 2 round trips): p50 ${register.p50} ms, p95 ${register.p95} ms, p99 ${register.p99} ms, max ${register.max} ms\n` +
        `  gateway CPU: idle ${idleCpu.pct} %, storm ${regCpu.pct} % of a core over ${regCpu.wallS} s (${perRegisterMs} ms CPU per device incl. DeviceInfo + Catalog), keepalive steady state ${steadyCpu.pct} % over ${steadyCpu.wallS} s\n` +
        `  keepalives: ${keepalive.ok}/${keepalive.sent} answered, p50 ${keepalive.p50} ms, p99 ${keepalive.p99} ms\n` +
        `  the simulator itself: ${simStormCpu.pct} % of a core while registering; UDP receive-buffer drops on the host meanwhile: ${drops}; host load average ${load.join(' / ')} on ${cpus().length} cores`,
    );
    return {
      devices: o.devices,
      transport: o.transport,
      registered: storm.registered,
      registerSeconds: storm.seconds,
      onlineInDb: rows.rows[0]?.n,
      registerAudited: audits.rows[0]?.n,
      registerLatencyMs: register,
      registerAuthLegMs: storm.registerAuthLeg,
      gatewayCpu: { idle: idleCpu, storm: regCpu, steady: steadyCpu, cpuMsPerRegistration: perRegisterMs },
      keepalive,
      simulatorCpuWhileRegistering: simStormCpu,
      udpReceiveBufferDrops: drops,
      hostLoadAverage: load,
    };
  } finally {
    await sim?.stop();
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((r) => gateway?.once('exit', r));
      gateway.kill('SIGTERM');
      const t = setTimeout(() => gateway?.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    await world.drop();
  }
}

/** Datagrams the host dropped for a full receive buffer (all sockets; /proc/net/snmp). */
function udpReceiveBufferErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
}
