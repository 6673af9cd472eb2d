import { spawnSync } from 'node:child_process';
import { splitNalUnits } from '../src/ingest/gb/annexb.ts';
import { HevcNalType, hevcNalType, isHevcIrap } from '../src/ingest/index.ts';
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
 * RFC 7798 packetizer (test side): parameter sets and other small NAL units aggregated in an AP,
 * NAL units larger than `mtu` split into FUs, the rest sent alone; the marker on each unit's last
 * packet. Sequence numbers and timestamps (90 kHz, from `tsBase`) as a camera sends them.
 */
export function packetizeHevc(
  units: readonly AccessUnit[],
  o: { mtu?: number; tsBase?: number; seqBase?: number } = {},
): Buffer[] {
  const mtu = o.mtu ?? 1200;
  let seq = o.seqBase ?? 1000;
  const out: Buffer[] = [];
  for (const u of units) {
    const payloads: Buffer[] = [];
    let small: Uint8Array[] = [];
    const flushAp = () => {
      if (small.length === 1) payloads.push(Buffer.from(small[0] as Uint8Array));
      else if (small.length > 1) {
        payloads.push(
          Buffer.concat([
            Buffer.from([HevcNalType.AP << 1, 0x01]),
            ...small.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n]),
          ]),
        );
      }
      small = [];
    };
    for (const nal of u.nals) {
      if (nal.length <= 200) {
        small.push(nal);
        continue;
      }
      flushAp();
      if (nal.length <= mtu) {
        payloads.push(Buffer.from(nal));
        continue;
      }
      const type = hevcNalType(nal[0] as number);
      const hdr = [((nal[0] as number) & 0x81) | (HevcNalType.FU << 1), nal[1] as number];
      for (let at = 2; at < nal.length; at += mtu) {
        const end = Math.min(nal.length, at + mtu);
        const fu = (at === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
        payloads.push(Buffer.concat([Buffer.from([...hdr, fu]), nal.subarray(at, end)]));
      }
    }
    flushAp();
    payloads.forEach((p, i) => {
      const h = Buffer.alloc(12);
      h[0] = 0x80;
      h[1] = (i === payloads.length - 1 ? 0x80 : 0) | 96;
      h.writeUInt16BE(seq++ & 0xffff, 2);
      h.writeUInt32BE(((o.tsBase ?? 0) + u.timestamp) >>> 0, 4);
      h.writeUInt32BE(0x1234, 8);
      out.push(Buffer.concat([h, p]));
    });
  }
  return out;
}
