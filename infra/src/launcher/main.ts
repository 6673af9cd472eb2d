import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEMO_GB, gbSimPassword, provisionGbSource } from '../../gb-sim/provision.ts';
import { loadConfig, ROOT } from './config.ts';
import { ensureSecrets } from './secrets.ts';
import { Supervisor, waitForHttp, waitForLine } from './supervisor.ts';

const print = (line: string) => process.stdout.write(`${line}\n`);

const parsed = loadConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(
    `launcher: invalid configuration\n${parsed.problems.map((p) => `  - ${p}\n`).join('')}`,
  );
  process.exit(1);
}
const config = parsed.value;
const host = config.WALL_HOST;
const dataDir = config.WALL_DATA_DIR;
mkdirSync(dataDir, { recursive: true });

let exitCode = 0;
const supervisor = new Supervisor(print, (why) => {
  print(`[launcher] ${why}: stopping everything`);
  exitCode = 1;
  void shutdown();
});

let shuttingDown: Promise<void> | undefined;
function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    print('[launcher] stopping all services …');
    await supervisor.stopAll();
    print('[launcher] stopped');
    process.exit(exitCode);
  })();
  return shuttingDown;
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
process.on('SIGHUP', () => void shutdown());
// If whoever started us dies without a signal reaching us, stop everything rather than linger.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown();
}, 500).unref();
// A closed terminal or pipe must not crash the launcher before its children are stopped.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

// Children see only what they need; the parent's environment passes through for PATH, HOME, etc.
const baseEnv = { ...process.env, LOG_LEVEL: config.LOG_LEVEL, NEXT_TELEMETRY_DISABLED: '1' };
const node = process.execPath;

async function main(): Promise<void> {
  const started = Date.now();
  const secrets = ensureSecrets(dataDir);

  // 1. Redis: the configured one, else our own with its data under .data/redis.
  let redisUrl = config.REDIS_URL;
  if (!redisUrl) {
    const dir = join(dataDir, 'redis');
    mkdirSync(dir, { recursive: true });
    await supervisor.start({
      name: 'redis',
      cmd: 'redis-server',
      args: [
        '--bind',
        host,
        '--port',
        String(config.WALL_REDIS_PORT),
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '60 1',
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
      ],
      cwd: dir,
      env: baseEnv,
      ready: async (svc) => void (await waitForLine(svc, /Ready to accept connections/)),
      readyTimeoutMs: 20_000,
    });
    redisUrl = `redis://${host}:${config.WALL_REDIS_PORT}`;
  }

  // 2. Simulated cameras: GStreamer RTSP server (pipelines run only while a client watches).
  const rtspUrl = `rtsp://${host}:${config.RTSP_PORT}`;
  await supervisor.start({
    name: 'cameras',
    cmd: '/usr/bin/python3',
    args: [
      join(ROOT, 'infra/cameras/rtsp-sim.py'),
      '--port',
      String(config.RTSP_PORT),
      '--bind',
      host,
      '--count',
      String(config.SIM_CAMERAS),
      '--gop',
      String(config.SIM_GOP),
      ...(config.SIM_CLIP ? ['--clip', config.SIM_CLIP_DIR] : []),
    ],
    cwd: ROOT,
    env: baseEnv,
    ready: async (svc) => void (await waitForLine(svc, /^READY /)),
    // Clip mode encodes each camera's clips once (≈ 1 s per camera on 2 cores), then reuses them.
    readyTimeoutMs: config.SIM_CLIP ? 20_000 + 5_000 * config.SIM_CAMERAS : 20_000,
  });

  // 2b. Time-strip cameras: a second simulator, encoded live (the strip is written into raw frames).
  const stripUrl = `rtsp://${host}:${config.RTSP_PORT + 1}`;
  if (config.SIM_STRIP_CAMERAS > 0) {
    await supervisor.start({
      name: 'strip-cameras',
      cmd: '/usr/bin/python3',
      args: [
        join(ROOT, 'infra/cameras/rtsp-sim.py'),
        ...['--port', String(config.RTSP_PORT + 1), '--bind', host],
        ...['--count', String(config.SIM_STRIP_CAMERAS), '--gop', String(config.SIM_GOP), '--time-strip'],
      ],
      cwd: ROOT,
      env: baseEnv,
      ready: async (svc) => void (await waitForLine(svc, /^READY /)),
      readyTimeoutMs: 20_000,
    });
  }

  // 3. Gateway: PostgreSQL at DATABASE_URL, else PGlite under .data/pglite; demo data on first start.
  const gatewayUrl = `http://${host}:${config.GATEWAY_PORT}`;
  const webOrigin = `http://${host}:${config.WEB_PORT}`;
  const credentialsFile = join(dataDir, 'demo-credentials.json');
  await supervisor.start({
    name: 'gateway',
    cmd: node,
    args: ['--import', 'tsx', 'src/main.ts'],
    cwd: join(ROOT, 'gateway'),
    env: {
      ...baseEnv,
      GATEWAY_HOST: host,
      GATEWAY_PORT: String(config.GATEWAY_PORT),
      DATABASE_URL: config.DATABASE_URL,
      PGLITE_DIR: join(dataDir, 'pglite'),
      REDIS_URL: redisUrl,
      WEB_ORIGINS: host === '127.0.0.1' ? `${webOrigin},http://localhost:${config.WEB_PORT}` : webOrigin,
      DEMO_SEED: 'true',
      DEMO_RTSP_URL: rtspUrl,
      DEMO_SIM_CAMERAS: String(config.SIM_CAMERAS),
      DEMO_STRIP_RTSP_URL: stripUrl,
      DEMO_STRIP_CAMERAS: String(config.SIM_STRIP_CAMERAS),
      DEMO_CREDENTIALS_FILE: credentialsFile,
      STREAM_TOKEN_PUBLIC_KEY: secrets.streamTokenPublicKey,
      STREAM_TOKEN_PRIVATE_KEY: secrets.streamTokenPrivateKey,
      MEDIA_CONTROL_SECRET: secrets.mediaControlSecret,
      SOURCE_SECRET_KEY: secrets.sourceSecretKey,
      // The gateway's verifier re-hashes the files the media node wrote (one machine: one directory).
      RECORDING_DIR: resolve(dataDir, 'recordings'),
      RECORDING_PLAN: config.RECORDING_PLAN,
      RECORDING_PLAN_PROFILE: config.RECORDING_PLAN_PROFILE,
      GB_SIP_ENABLED: 'true',
      GB_SIP_HOST: host,
      GB_SIP_PORT: String(config.GB_SIP_PORT),
      GB_DOMAIN: DEMO_GB.domain,
      GB_ID: DEMO_GB.serverId,
      // RECORDING_PLAN=simulated records the simulated platform's channels too.
      ...(config.GB_SIM_CHANNELS > 0 ? { DEMO_GB_DEVICE_ID: DEMO_GB.deviceId } : {}),
    },
    ready: () => waitForHttp(`${gatewayUrl}/healthz`),
    readyTimeoutMs: 120_000,
  });

  // 4. Media server: the mediasoup worker pool.
  const mediaUrl = `http://${host}:${config.MEDIA_PORT}`;
  await supervisor.start({
    name: 'media',
    cmd: node,
    args: ['--import', 'tsx', 'src/main.ts'],
    cwd: join(ROOT, 'media-server'),
    env: {
      ...baseEnv,
      MEDIA_HOST: host,
      MEDIA_PORT: String(config.MEDIA_PORT),
      REDIS_URL: redisUrl,
      MEDIASOUP_WORKERS: String(config.MEDIASOUP_WORKERS),
      MEDIASOUP_WORKER_BIN: config.MEDIASOUP_WORKER_BIN,
      MEDIA_NODE_ID: 'media-1',
      MEDIA_PUBLIC_URL: mediaUrl,
      MEDIA_WEB_ORIGINS:
        host === '127.0.0.1' ? `${webOrigin},http://localhost:${config.WEB_PORT}` : webOrigin,
      MEDIA_TOKEN_PUBLIC_KEY: secrets.streamTokenPublicKey,
      MEDIA_CONTROL_SECRET: secrets.mediaControlSecret,
      // Recordings stay with the rest of the demo's data.
      RECORDING_DIR: resolve(dataDir, 'recordings'),
    },
    ready: () => waitForHttp(`${mediaUrl}/healthz`),
    readyTimeoutMs: 60_000,
  });

  // GB/T 28181: the simulated 天宁区 platform, filed as a source through the registry API, registers
  // with the gateway's SIP server (digest), which queries its catalogue into the registry.
  let gbNote: string | undefined;
  if (config.GB_SIM_CHANNELS > 0) {
    const gbPassword = gbSimPassword(dataDir);
    const demoPassword = z
      .object({ password: z.string() })
      .parse(JSON.parse(readFileSync(credentialsFile, 'utf8')));
    const filed = await provisionGbSource({
      gatewayUrl,
      origin: webOrigin,
      adminPassword: demoPassword.password,
      password: gbPassword,
    });
    gbNote = filed.note;
    if (gbNote) print(`[launcher] GB/T 28181: ${gbNote}`);
    await supervisor.start({
      name: 'gb-sim',
      cmd: node,
      args: [
        '--import',
        'tsx',
        'gb-sim/main.ts',
        ...['--server', `${host}:${config.GB_SIP_PORT}`, '--domain', DEMO_GB.domain],
        ...['--server-id', DEMO_GB.serverId, '--device-id', DEMO_GB.deviceId],
        ...['--channels', String(config.GB_SIM_CHANNELS), '--civil-code', DEMO_GB.civilCode],
        ...['--transport', config.GB_SIM_TRANSPORT, '--bind', host, '--keepalive', '60'],
      ],
      cwd: join(ROOT, 'infra'),
      // In the environment, not argv: a random password may start with '-', and argv is public.
      env: { ...baseEnv, GB_SIM_PASSWORD: gbPassword },
      ready: async (svc) => void (await waitForLine(svc, /"event":"ready"/)),
      // The first start encodes the simulator's clip (10 s of 640×360) with ffmpeg.
      readyTimeoutMs: 90_000,
    });
  }

  // 5. Web: the production build made by the bootstrap.
  const webDir = join(ROOT, 'web');
  if (!existsSync(join(webDir, '.next', 'BUILD_ID'))) {
    throw new Error('web/.next has no production build: start through `npm start`, which builds it');
  }
  await supervisor.start({
    name: 'web',
    cmd: node,
    args: [
      join(webDir, 'node_modules/next/dist/bin/next'),
      'start',
      '-H',
      host,
      '-p',
      String(config.WEB_PORT),
    ],
    cwd: webDir,
    env: {
      ...baseEnv,
      NODE_ENV: 'production',
      GATEWAY_URL: gatewayUrl,
      GATEWAY_PUBLIC_URL: gatewayUrl,
      // The pages' Content-Security-Policy lets browsers reach the media node (signalling, snapshots).
      MEDIA_PUBLIC_ORIGINS: mediaUrl,
    },
    ready: () => waitForHttp(`${webOrigin}/login`),
    readyTimeoutMs: 60_000,
  });

  const creds = z
    .object({
      password: z.string(),
      users: z.array(z.object({ username: z.string(), description: z.string() })),
      dataSet: z.object({ created: z.boolean(), cameras: z.number() }),
    })
    .parse(JSON.parse(readFileSync(credentialsFile, 'utf8')));
  const lines = [
    '',
    '────────────────────────────────────────────────────────────────────────',
    `  Emergency-command video wall is up (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    '',
    `  Open      ${webOrigin}`,
    `  Gateway   ${gatewayUrl}/healthz   (${config.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${join(dataDir, 'pglite')}`})`,
    `  Media     ${mediaUrl}/healthz   (${config.MEDIASOUP_WORKERS} mediasoup workers)`,
    `  Cameras   ${rtspUrl}/cam01/main … /cam${String(config.SIM_CAMERAS).padStart(2, '0')}/sub`,
    ...(config.SIM_STRIP_CAMERAS > 0
      ? [
          `  Strip     ${stripUrl}/cam01/sub … (${config.SIM_STRIP_CAMERAS} cameras with the wall-clock time strip)`,
        ]
      : []),
    `  Redis     ${config.REDIS_URL ? 'REDIS_URL' : `own redis-server, data in ${join(dataDir, 'redis')}`}`,
    `  GB/T 28181 sip:${DEMO_GB.serverId}@${host}:${config.GB_SIP_PORT} (udp+tcp, domain ${DEMO_GB.domain})` +
      (config.GB_SIM_CHANNELS > 0
        ? ` — simulated platform ${DEMO_GB.deviceId} (${config.GB_SIM_TRANSPORT}), ${config.GB_SIM_CHANNELS} channels in 天宁区${gbNote ? ' (filed as registered: accept them to view)' : ''}`
        : ''),
    `  Demo data ${creds.dataSet.cameras} cameras (${creds.dataSet.created ? 'created now' : 'kept from an earlier start'})`,
    '',
    `  Demo users (password: ${creds.password}, kept in ${credentialsFile}):`,
    ...creds.users.map((u) => `    ${u.username.padEnd(22)} ${u.description}`),
    '',
    '  Ctrl-C stops everything.',
    '────────────────────────────────────────────────────────────────────────',
    'READY',
  ];
  for (const l of lines) print(l);
}

main().catch((err: unknown) => {
  print(`[launcher] start-up failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
  void shutdown();
});
