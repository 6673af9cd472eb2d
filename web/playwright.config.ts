import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

// The browser tests run against the whole platform started by the launcher (as `npm start` does),
// on ports of their own and with a throw-away data directory.
const ports = { web: 13300, gateway: 14300, media: 14400, rtsp: 18754, redis: 16391, gbSip: 15061 };
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'wall-e2e-'));
process.env.E2E_DATA_DIR = dataDir;

export const E2E = {
  webUrl: `http://127.0.0.1:${ports.web}`,
  gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
  mediaUrl: `http://127.0.0.1:${ports.media}`,
  dataDir,
};

export default defineConfig({
  testDir: 'e2e',
  outputDir: join(import.meta.dirname, '..', '.data', 'test-results', 'playwright'),
  timeout: 60_000,
  workers: 1,
  retries: 0,
  reporter: [
    ['list'],
    ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? join(dataDir, 'pw.json') }],
  ],
  use: {
    baseURL: E2E.webUrl,
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: 'node --import tsx src/launcher/main.ts',
    cwd: join(import.meta.dirname, '..', 'infra'),
    url: `${E2E.webUrl}/login`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
    env: {
      WALL_DATA_DIR: dataDir,
      WEB_PORT: String(ports.web),
      GATEWAY_PORT: String(ports.gateway),
      MEDIA_PORT: String(ports.media),
      RTSP_PORT: String(ports.rtsp),
      GB_SIP_PORT: String(ports.gbSip),
      WALL_REDIS_PORT: String(ports.redis),
      // Embedded defaults, exactly as a fresh `npm start`: PGlite and the launcher's own Redis.
      DATABASE_URL: '',
      REDIS_URL: '',
      MEDIASOUP_WORKERS: '1',
      RTC_MIN_PORT: '41000',
      RTC_MAX_PORT: '41499',
      WEBRTC_PORT: '21544',
      LOG_LEVEL: 'warn',
      // The wall tests (e2e/wall.spec.ts) fill a 16-tile wall with 16 different simulated cameras
      // (looping pre-encoded clips, so that 16 of them fit on 2 cores) and sign in as demo users
      // with this password. Key frames every second (a viewer joining a running stream waits for
      // the next one; bench/wall measures the 2 s default).
      SIM_CAMERAS: '16',
      SIM_CLIP: 'true',
      SIM_GOP: '25',
      // Only 4 cameras recorded continuously (16 would compete with the 16-tile wall test for the 2
      // cores): a second simulator, encoded live, writes the wall-clock time into every frame
      // (a strip of blocks the playback tests decode), on RTSP port + 1, sub stream recorded.
      SIM_STRIP_CAMERAS: '4',
      RECORDING_PLAN: 'time_strip',
      WALL_DEMO_PASSWORD: 'e2e-demo-password-0123',
    },
  },
});
