import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// rtsp-sim.py --clip: every mount loops a pre-encoded H.264 clip made once into a cache directory.
const SCRIPT = fileURLToPath(new URL('../cameras/rtsp-sim.py', import.meta.url));
const dirs: string[] = [];

interface Sim {
  url: string;
  log: () => string;
  stop: () => Promise<number | null>;
}

function run(args: string[]): Promise<Sim> {
  const child: ChildProcess = spawn('/usr/bin/python3', [SCRIPT, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise<Sim>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rtsp-sim not ready:\n${log}`)), 60_000);
    child.stderr?.on('data', (b: Buffer) => {
      log += b.toString();
    });
    child.stdout?.on('data', (b: Buffer) => {
      log += b.toString();
      const m = /^READY (rtsp:\/\/\S+) /m.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          log: () => log,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`rtsp-sim exited (${code}) before READY:\n${log}`));
    });
  });
}

/** Decodes `seconds` of a mount with ffmpeg: frames, size and anything ffmpeg complained about. */
function decode(url: string, seconds: number) {
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'info', '-rtsp_transport', 'tcp', '-i', url];
  const r = spawnSync('ffmpeg', [...args, '-t', String(seconds), '-vf', 'showinfo', '-f', 'null', '-'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const info = r.stderr.split('\n').filter((l) => l.includes('Parsed_showinfo') && / n:\s*\d+ /.test(l));
  const size = /s:(\d+x\d+)/.exec(info[0] ?? '')?.[1];
  const complaints = r.stderr
    .split('\n')
    .filter((l) => /error|invalid|non monoton|corrupt|concealing|missing|duplicate/i.test(l));
  return { status: r.status, frames: info.length, size, complaints };
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('rtsp-sim --clip', () => {
  it('serves both profiles from looped clips at their size and frame rate, and reuses the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-clips-'));
    dirs.push(dir);
    const sim = await run(['--count', '1', '--clip', dir, '--clip-seconds', '2', '--gop', '25']);
    try {
      expect(sim.log()).toMatch(/clip made \/cam01\/main \(50 frames/);
      expect(sim.log()).toMatch(/clip made \/cam01\/sub \(50 frames/);
      expect(
        readdirSync(dir)
          .filter((f) => f.endsWith('.h264'))
          .sort(),
      ).toEqual([
        expect.stringMatching(/^cam01-main-[0-9a-f]{16}\.h264$/),
        expect.stringMatching(/^cam01-sub-[0-9a-f]{16}\.h264$/),
      ]);
      // 5 s of a 2 s clip: it loops (twice over) without a complaint from the decoder, at 25 fps.
      const sub = decode(`${sim.url}/cam01/sub`, 5);
      expect(sub.status).toBe(0);
      expect(sub.size).toBe('640x360');
      expect(sub.complaints).toEqual([]);
      expect(sub.frames).toBeGreaterThanOrEqual(120);
      expect(sub.frames).toBeLessThanOrEqual(130);
      const main = decode(`${sim.url}/cam01/main`, 2);
      expect(main.status).toBe(0);
      expect(main.size).toBe('1280x720');
      expect(main.complaints).toEqual([]);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
    // A second start with the same settings encodes nothing.
    const again = await run(['--count', '1', '--clip', dir, '--clip-seconds', '2', '--gop', '25']);
    try {
      expect(again.log()).not.toMatch(/clip made/);
      expect(again.log()).toMatch(/2 clips ready/);
    } finally {
      await again.stop();
    }
  });

  it('refuses options that need live encoding', () => {
    for (const extra of [['--time-strip'], ['--clock-ms'], ['--codec', 'h265']]) {
      const r = spawnSync('/usr/bin/python3', [SCRIPT, '--count', '1', '--clip', tmpdir(), ...extra], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--clip/);
    }
  });
});
