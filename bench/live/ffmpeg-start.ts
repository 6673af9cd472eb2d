// The ingest's ffmpeg alone on a cold camera: spawn → input analysed ("Stream mapping") → first
// RTP packet → first key frame out, with the media node's own arguments (ffmpeg-args.ts) and with
// a variant that reads less before it starts (no `-fflags nobuffer`, `-probesize 32
// -analyzeduration 0`). Times are performance.now() in this process, from the spawn.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ffmpegIngestArgs } from '../../media-server/src/ingest/ffmpeg-args.ts';

export type FfmpegVariant = 'asShipped' | 'lowProbe';

export interface FfmpegStart {
  variant: FfmpegVariant;
  url: string;
  streamMappingMs: number | null;
  firstRtpMs: number | null;
  firstKeyFrameMs: number | null;
}

function keyFrameStart(pkt: Buffer): boolean {
  const cc = (pkt[0] as number) & 0x0f;
  const p = pkt.subarray(12 + cc * 4);
  if (p.length < 2) return false;
  const t = (p[0] as number) & 0x1f;
  if (t === 5 || t === 7) return true;
  if (t === 28) return ((p[1] as number) & 0x80) !== 0 && ((p[1] as number) & 0x1f) === 5;
  if (t === 24) return ((p[3] as number) & 0x1f) === 7 || ((p[3] as number) & 0x1f) === 5;
  return false;
}

export function variantArgs(variant: FfmpegVariant, url: string, port: number): string[] {
  const args = ffmpegIngestArgs({
    source: { kind: 'rtsp', url, transport: 'tcp' },
    relayHost: '127.0.0.1',
    relayPort: port,
    ssrc: 1234,
    payloadType: 96,
    transcode: false,
  });
  if (variant === 'asShipped') return args;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-fflags' && args[i + 1] === 'nobuffer') {
      i++;
      continue;
    }
    if (args[i] === '-i') out.push('-probesize', '32', '-analyzeduration', '0');
    out.push(args[i] as string);
  }
  return out;
}

export async function ffmpegStart(
  variant: FfmpegVariant,
  url: string,
  timeoutMs = 6000,
): Promise<FfmpegStart> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const result: FfmpegStart = {
    variant,
    url,
    streamMappingMs: null,
    firstRtpMs: null,
    firstKeyFrameMs: null,
  };
  const t0 = performance.now();
  const child = spawn('ffmpeg', variantArgs(variant, url, port), { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let done: () => void = () => undefined;
  const keyed = new Promise<void>((r) => {
    done = r;
  });
  sock.on('message', (m: Buffer) => {
    const pt = (m[1] as number) & 0x7f;
    if (m.length < 13 || (pt >= 72 && pt <= 76)) return; // RTCP
    const at = performance.now() - t0;
    result.firstRtpMs ??= Math.round(at);
    if (result.firstKeyFrameMs === null && keyFrameStart(m)) {
      result.firstKeyFrameMs = Math.round(at);
      done();
    }
  });
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    tail = (tail + d).slice(-4000);
    if (result.streamMappingMs === null && tail.includes('Stream mapping:'))
      result.streamMappingMs = Math.round(performance.now() - t0);
  });
  await Promise.race([keyed, exited, new Promise((r) => setTimeout(r, timeoutMs))]);
  child.kill('SIGKILL');
  await exited;
  sock.close();
  return result;
}
