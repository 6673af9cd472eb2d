import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as gb from '@wall/protocol/gb28181';

/** An H.264 Annex-B clip cut into access units (one per frame), looped by the streamer. */
export interface Clip {
  frames: Uint8Array[];
  /** Indexes of the frames that start a GOP (IDR, with SPS/PPS in band). */
  keyframes: number[];
  fps: number;
}

export const CLIP = { width: 640, height: 360, fps: 25, gop: 50, seconds: 10 } as const;

/** Where the generated clip is kept (made once with ffmpeg). */
export function defaultClipPath(): string {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(
    cache,
    'wall',
    'gb-sim',
    `clip-${CLIP.width}x${CLIP.height}-${CLIP.fps}fps-gop${CLIP.gop}-${CLIP.seconds}s.h264`,
  );
}

/**
 * The default clip: 640×360, 25 fps, GOP 50, H.264 baseline, raw Annex-B with access unit
 * delimiters; made with ffmpeg (argument array, no shell) when missing.
 */
export function ensureClip(path = defaultClipPath()): string {
  if (existsSync(path)) return path;
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const r = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${CLIP.width}x${CLIP.height}:rate=${CLIP.fps}`,
      '-t',
      String(CLIP.seconds),
      '-c:v',
      'libx264',
      '-profile:v',
      'baseline',
      '-pix_fmt',
      'yuv420p',
      '-preset',
      'veryfast',
      '-b:v',
      '1000k',
      '-g',
      String(CLIP.gop),
      '-keyint_min',
      String(CLIP.gop),
      '-sc_threshold',
      '0',
      '-x264-params',
      'aud=1:repeat-headers=1',
      '-bsf:v',
      'h264_mp4toannexb',
      '-f',
      'h264',
      tmp,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make the clip: ${String(r.stderr).slice(0, 500)}`);
  renameSync(tmp, path);
  return path;
}

/** NAL units of an Annex-B stream: [start of the start code, start of the NAL header, end). */
function nalUnits(data: Uint8Array): { at: number; header: number; end: number }[] {
  const starts: { at: number; header: number }[] = [];
  for (let i = 0; i + 3 <= data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const at = i > 0 && data[i - 1] === 0 ? i - 1 : i;
      starts.push({ at, header: i + 3 });
      i += 2;
    }
  }
  return starts.map((s, k) => ({ ...s, end: starts[k + 1]?.at ?? data.length }));
}

/**
 * Cuts an Annex-B stream into access units: a new unit starts at an access unit delimiter, or at
 * SPS/PPS/SEI or a slice with first_mb_in_slice 0 once the current unit has a slice.
 */
export function splitAccessUnits(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  let hasSlice = false;
  for (const n of nalUnits(data)) {
    const type = (data[n.header] ?? 0) & 0x1f;
    const vcl = type === 1 || type === 5;
    const firstMb = vcl && ((data[n.header + 1] ?? 0) & 0x80) !== 0;
    const boundary = type === 9 || (hasSlice && (type === 6 || type === 7 || type === 8 || firstMb));
    if (start < 0) start = n.at;
    else if (boundary) {
      units.push(data.subarray(start, n.at));
      start = n.at;
      hasSlice = false;
    }
    if (vcl) hasSlice = true;
  }
  if (start >= 0) units.push(data.subarray(start));
  return units.filter((u) => gb.nalTypes('h264', u).some((t) => t === 1 || t === 5));
}

export function loadClip(path: string, fps: number = CLIP.fps): Clip {
  const frames = splitAccessUnits(new Uint8Array(readFileSync(path)));
  const keyframes = frames.flatMap((f, i) => (gb.isKeyframe('h264', f) ? [i] : []));
  if (frames.length === 0 || keyframes[0] !== 0)
    throw new Error(`${path}: not an H.264 clip starting with a key frame`);
  return { frames, keyframes, fps };
}
