import { cpus, homedir } from 'node:os';
import { resolve } from 'node:path';
import { envVar, parseEnv } from '@wall/protocol';
import { z } from 'zod';

export const ROOT = resolve(import.meta.dirname, '../../..');

export const launcherEnvSchema = z.object({
  /** Where the demo keeps its data (PGlite, Redis, demo credentials). */
  WALL_DATA_DIR: z.string().min(1).default(resolve(ROOT, '.data')),
  WALL_HOST: envVar.host('127.0.0.1'),
  WEB_PORT: envVar.port(3000),
  GATEWAY_PORT: envVar.port(4000),
  MEDIA_PORT: envVar.port(4100),
  RTSP_PORT: envVar.port(8554),
  /** Port of the launcher's own redis-server, used when REDIS_URL is not set. */
  WALL_REDIS_PORT: envVar.port(6390),
  REDIS_URL: envVar.url(['redis', 'rediss']).optional(),
  DATABASE_URL: envVar.url(['postgres', 'postgresql']).optional(),
  SIM_CAMERAS: envVar.int(8, 1, 64),
  /** Key-frame interval of the simulated cameras, in frames (25 fps). */
  SIM_GOP: envVar.int(50, 1, 600),
  /**
   * Loop pre-encoded clips (made once into SIM_CLIP_DIR) instead of encoding every camera live:
   * the same mounts at a fraction of the CPU, for walls of many cameras on a small machine.
   */
  SIM_CLIP: envVar.bool(false),
  /**
   * What the demo records continuously (the gateway's RECORDING_PLAN): its simulated cameras by
   * default — the other demo cameras have no video behind them —, every in-service camera, or none.
   */
  RECORDING_PLAN: z.enum(['none', 'simulated', 'time_strip', 'in_service']).default('simulated'),
  /**
   * Cameras of a second simulator, encoded live with the wall-clock burnt into every frame
   * (`rtsp-sim.py --time-strip`, on RTSP_PORT + 1), filed as a source of their own; 0: none. The
   * browser tests of playback record them alone (RECORDING_PLAN=time_strip).
   */
  SIM_STRIP_CAMERAS: envVar.int(0, 0, 16),
  /** The profile the demo records (sub: 640×360, the lighter stream on a small machine). */
  RECORDING_PLAN_PROFILE: z.enum(['main', 'sub']).default('sub'),
  /** Where the clips of SIM_CLIP are kept (reused across starts while their settings match). */
  SIM_CLIP_DIR: z
    .string()
    .min(1)
    .default(resolve(process.env.XDG_CACHE_HOME || resolve(homedir(), '.cache'), 'wall', 'sim-clips')),
  /** The gateway's GB/T 28181 SIP port (UDP and TCP). */
  GB_SIP_PORT: envVar.port(5060),
  /** Channels of the simulated GB/T 28181 platform in 天宁区 (0: no simulator). */
  GB_SIM_CHANNELS: envVar.int(6, 0, 64),
  /** How the simulated platform signals (its media goes TCP passive unless the source says UDP). */
  GB_SIM_TRANSPORT: z.enum(['udp', 'tcp']).default('udp'),
  MEDIASOUP_WORKERS: envVar.int(cpus().length, 1, 64),
  MEDIASOUP_WORKER_BIN: z.string().min(1, 'required: run through `npm start`, which builds the worker'),
  LOG_LEVEL: envVar.logLevel(),
});

export type LauncherConfig = z.infer<typeof launcherEnvSchema>;

export function loadConfig(env: Record<string, string | undefined>) {
  return parseEnv(launcherEnvSchema, env);
}
