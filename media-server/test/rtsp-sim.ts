import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../infra/cameras/rtsp-sim.py', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export interface RtspSim {
  url: string;
  close(): Promise<void>;
}

/** Starts the project's GStreamer RTSP camera simulator on a free port. */
export async function startRtspSim(
  options: { count?: number; gop?: number; codec?: 'h264' | 'h265'; port?: number } = {},
): Promise<RtspSim> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    '/usr/bin/python3',
    [
      SCRIPT,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--count',
      String(options.count ?? 2),
      '--gop',
      String(options.gop ?? 25),
      '--codec',
      options.codec ?? 'h264',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rtsp-sim not ready in 15 s:\n${log}`)), 15_000);
    child.stderr?.on('data', (b: Buffer) => {
      log += b.toString();
    });
    child.stdout?.on('data', (b: Buffer) => {
      log += b.toString();
      if (log.includes('READY ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`rtsp-sim exited:\n${log}`));
    });
  });
  return {
    url: `rtsp://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
