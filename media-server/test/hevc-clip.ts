import { spawnSync } from 'node:child_process';
import { splitNalUnits } from '../src/ingest/gb/annexb.ts';
import { HevcNalType, HevcRtpPacketizer, hevcNalType, isHevcIrap } from '../src/ingest/index.ts';
import type { AccessUnit } from '../src/recording/fmp4.ts';

/** 25 fps in 90 kHz ticks. */
export const FRAME_TICKS = 3600;

/**
 * A real H.265 clip from Debian's ffmpeg + libx265 (`testsrc2`, Main or Main 10, a key frame every
 * `gop` frames, no B-frames, an access unit delimiter before each frame), as access units at 25 fps.
 */
export function x265Units(o: {
  width: number;
  height: number;
  frames: number;
  gop?: number;
  pixFmt?: 'yuv420p' | 'yuv420p10le';
}): AccessUnit[] {
  const gop = o.gop ?? 25;
  const r = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${o.width}x${o.height}:rate=25`,
      '-frames:v',
      String(o.frames),
      '-pix_fmt',
      o.pixFmt ?? 'yuv420p',
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      `aud=1:keyint=${gop}:min-keyint=${gop}:scenecut=0:bframes=0:log-level=error`,
      '-f',
      'hevc',
      'pipe:1',
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`x265 clip: ${r.stderr.toString()}`);
  const units: AccessUnit[] = [];
  let nals: Uint8Array[] = [];
  const close = () => {
    if (nals.length === 0) return;
    const keyframe = nals.some((n) => isHevcIrap(hevcNalType(n[0] as number)));
    units.push({ nals, timestamp: units.length * FRAME_TICKS, keyframe });
    nals = [];
  };
  for (const nal of splitNalUnits(r.stdout)) {
    if (hevcNalType(nal[0] as number) === HevcNalType.AUD) close();
    nals.push(Buffer.from(nal));
  }
  close();
  return units;
}

/**
 * The clip as a camera sends it over RTP (RFC 7798, the node's own packetizer: parameter sets in an
 * AP, large NAL units in FUs), timestamps from `tsBase`.
 */
export function packetizeHevc(
  units: readonly AccessUnit[],
  o: { mtu?: number; tsBase?: number; seqBase?: number } = {},
): Buffer[] {
  const p = new HevcRtpPacketizer({
    ssrc: 0x1234,
    payloadType: 96,
    mtu: o.mtu ?? 1200,
    seq: o.seqBase ?? 1000,
  });
  return units.flatMap((u) => p.packetize(u.nals, (o.tsBase ?? 0) + u.timestamp));
}
