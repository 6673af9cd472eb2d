// GB/T 28181 device simulator (issue 6 §5): one device/platform, or `--devices N` for a
// registration storm. Prints one JSON line per event on stdout; reads JSON commands on stdin.
//
//   GB_SIM_PASSWORD=secret node --import tsx infra/gb-sim/main.ts --server 127.0.0.1:5060 \
//     --domain 3204000000 --device-id 32040200002000000001 --channels 4 --civil-code 320402 \
//     --transport udp|tcp [--clip file.h264] [--keepalive 60] [--expires 3600] [--devices N]
//
// The SIP password comes from GB_SIM_PASSWORD (not on the command line, where `ps` shows it to
// every user and a value starting with '-' reads as an option); `--password=…` still works.
//
// stdin commands (one JSON object per line):
//   {"cmd":"notify","event":"DEL","channel":"<channel id or 1-based index>"}
//   {"cmd":"keepalive","on":false}     stop (or resume) keepalives
//   {"cmd":"unregister"} / {"cmd":"register"}
//   {"cmd":"stats"}                    registration and keepalive figures (storm)
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type Clip, ensureClip, loadClip } from './clip.ts';
import { SimDevice } from './device.ts';

const emit = (e: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ at: Date.now(), ...e })}\n`);

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    domain: { type: 'string' },
    'server-id': { type: 'string' },
    'device-id': { type: 'string' },
    password: { type: 'string' },
    channels: { type: 'string', default: '4' },
    'civil-code': { type: 'string', default: '320402' },
    transport: { type: 'string', default: 'udp' },
    clip: { type: 'string' },
    keepalive: { type: 'string', default: '60' },
    expires: { type: 'string', default: '3600' },
    devices: { type: 'string', default: '1' },
    'page-size': { type: 'string', default: '2' },
    bind: { type: 'string', default: '127.0.0.1' },
    retry: { type: 'string', default: '5' },
    quiet: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '200' },
  },
  strict: true,
});

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const args = z
  .object({
    server: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port'),
    domain: z.string().regex(/^\d{10}$/, '10 digits'),
    'server-id': z
      .string()
      .regex(/^\d{20}$/)
      .optional(),
    'device-id': z.string().regex(/^\d{20}$/, '20 digits'),
    password: z.string('set GB_SIM_PASSWORD (or --password=…)').min(1),
    channels: int(0, 10_000),
    'civil-code': z.string().regex(/^\d{6,8}$/),
    transport: z.enum(['udp', 'tcp']),
    clip: z.string().optional(),
    keepalive: z.coerce.number().positive().max(3600),
    expires: int(1, 86_400),
    devices: int(1, 100_000),
    'page-size': int(1, 1000),
    bind: z.string(),
    retry: z.coerce.number().positive(),
    quiet: z.boolean(),
    concurrency: int(1, 10_000),
  })
  .safeParse({ ...values, password: values.password ?? process.env.GB_SIM_PASSWORD });
if (!args.success) {
  process.stderr.write(
    `gb-sim: ${args.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n`,
  );
  process.exit(2);
}
const a = args.data;
const [host, portText] = a.server.split(':') as [string, string];

let clip: Clip | undefined;
const getClip = (): Clip => {
  clip ??= loadClip(a.clip ?? ensureClip());
  return clip;
};
// Make (or load) the clip before registering, so the first INVITE streams at once.
if (a.channels > 0 && a.devices === 1) getClip();

/** Device `i` of a storm: the base ID with its serial (last 6 digits) advanced by i. */
function nthId(base: string, i: number): string {
  const serial = (Number(base.slice(14)) + i) % 1_000_000;
  return `${base.slice(0, 14)}${String(serial).padStart(6, '0')}`;
}

const storm = a.devices > 1;
const devices: SimDevice[] = [];
for (let i = 0; i < a.devices; i++) {
  devices.push(
    new SimDevice({
      deviceId: nthId(a['device-id'], i),
      password: a.password,
      server: { host, port: Number(portText) },
      serverId: a['server-id'] ?? `${a.domain}2000000001`,
      domain: a.domain,
      transport: a.transport,
      bind: a.bind,
      channels: a.channels,
      civilCode: a['civil-code'],
      pageSize: a['page-size'],
      expiresS: a.expires,
      keepaliveS: a.keepalive,
      retryS: a.retry,
      clip: getClip,
      emit: storm && a.quiet ? (e) => (e.event === 'error' ? emit(e) : undefined) : emit,
    }),
  );
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((x, y) => x - y);
  return Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) * 100) / 100;
}

function stats(): Record<string, unknown> {
  const reg = devices.flatMap((d) => (d.lastRegisterMs === undefined ? [] : [d.lastRegisterMs]));
  const auth = devices.flatMap((d) => (d.lastAuthMs === undefined ? [] : [d.lastAuthMs]));
  const ka = devices.flatMap((d) => d.keepalives.latenciesMs);
  const sum = (k: 'sent' | 'ok' | 'failed') => devices.reduce((n, d) => n + d.keepalives[k], 0);
  return {
    event: 'stats',
    devices: devices.length,
    registered: devices.filter((d) => d.registered).length,
    register: {
      n: reg.length,
      p50: percentile(reg, 50),
      p95: percentile(reg, 95),
      p99: percentile(reg, 99),
      max: percentile(reg, 100),
    },
    registerAuthLeg: { p50: percentile(auth, 50), p99: percentile(auth, 99) },
    keepalive: {
      sent: sum('sent'),
      ok: sum('ok'),
      failed: sum('failed'),
      p50: percentile(ka, 50),
      p99: percentile(ka, 99),
    },
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  // Start devices with bounded concurrency (a storm: all at once, up to `concurrency` in flight).
  let next = 0;
  const workers = Array.from({ length: Math.min(a.concurrency, devices.length) }, async () => {
    while (next < devices.length) {
      const d = devices[next++] as SimDevice;
      await d
        .start()
        .catch((err: unknown) =>
          emit({ event: 'error', device: d.o.deviceId, where: 'start', error: String(err) }),
        );
    }
  });
  await Promise.all(workers);
  if (storm)
    emit({ ...stats(), event: 'storm-registered', seconds: Math.round(performance.now() - t0) / 1000 });
  emit({ event: 'ready', devices: devices.length, registered: devices.filter((d) => d.registered).length });
}

const commandSchema = z.discriminatedUnion('cmd', [
  z.object({
    cmd: z.literal('notify'),
    event: z.enum(['ON', 'OFF', 'VLOST', 'DEFECT', 'ADD', 'DEL', 'UPDATE']),
    channel: z.string(),
    device: z.number().int().optional(),
  }),
  z.object({ cmd: z.literal('keepalive'), on: z.boolean() }),
  z.object({ cmd: z.literal('unregister') }),
  z.object({ cmd: z.literal('register') }),
  z.object({ cmd: z.literal('stats') }),
]);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  let cmd: z.infer<typeof commandSchema>;
  try {
    cmd = commandSchema.parse(JSON.parse(line));
  } catch (err) {
    emit({ event: 'error', where: 'command', error: String(err) });
    return;
  }
  const first = devices[0] as SimDevice;
  switch (cmd.cmd) {
    case 'notify':
      void (devices[cmd.device ?? 0] ?? first)
        .notify(cmd.event, cmd.channel)
        .catch((err: unknown) => emit({ event: 'error', where: 'notify', error: String(err) }));
      break;
    case 'keepalive':
      for (const d of devices) d.setKeepalive(cmd.on);
      break;
    case 'unregister':
      for (const d of devices) void d.register(0);
      break;
    case 'register':
      for (const d of devices) void d.register();
      break;
    case 'stats':
      emit(stats());
      break;
  }
});

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(0), 5000);
  await Promise.all(devices.map((d) => d.stop()));
  clearTimeout(timer);
  emit({ event: 'stopped' });
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

main().catch((err: unknown) => {
  emit({ event: 'error', where: 'main', error: String(err) });
  process.exit(1);
});
