// PS demux throughput on one core (pure: @wall/protocol/gb28181 on bytes in memory). The input is
// the simulator's clip (640×360 H.264, 25 fps, GOP 50) muxed into PS and cut into RTP payloads of
// 1 400 bytes, as a device sends it; measured twice: PS bytes straight into the demuxer (flushed at
// each frame end, as at the RTP marker), and the whole receive path (RFC 4571 frames → RTP parse →
// PS depacketizer → demuxer).
import * as gb from '@wall/protocol/gb28181';
import { ensureClip, loadClip } from '../../infra/gb-sim/clip.ts';

export interface DemuxResult {
  clip: { frames: number; psBytes: number };
  psOnly: { mbPerS: number; framesPerS: number; seconds: number };
  rtpPath: { mbPerS: number; framesPerS: number; seconds: number };
  /** How many 640×360 25 fps streams of this clip one core demuxes (PS only). */
  streamsPerCore: number;
}

export function runDemux(
  print: (s: string) => void,
  targetSeconds = Number(process.env.GB_DEMUX_SECONDS ?? 3),
): DemuxResult {
  print('demux: PS (and RFC 4571 + RTP + PS) demux throughput on one core');
  const clip = loadClip(ensureClip());
  const muxer = new gb.PsMuxer();
  const packetizer = new gb.PsRtpPacketizer({ ssrc: 400000001 });
  const frames: { ps: Uint8Array; rtp: Uint8Array[]; tcp: Uint8Array }[] = [];
  let pts = 0;
  let psBytes = 0;
  for (const f of clip.frames) {
    const ps = muxer.mux({ pts, data: f });
    const rtp = packetizer.packetize(ps, pts);
    const tcp = new Uint8Array(
      Buffer.concat(rtp.map((p) => (gb.frameRfc4571(p) as { ok: true; value: Uint8Array }).value)),
    );
    frames.push({ ps, rtp, tcp });
    psBytes += ps.length;
    pts += 3600;
  }
  const clipSeconds = clip.frames.length / clip.fps;
  const bitrate = (psBytes * 8) / clipSeconds;

  // Warm-up, then whole clip loops until the target time.
  const psOnly = () => {
    const d = new gb.PsDemuxer();
    let units = 0;
    for (const f of frames) {
      for (let off = 0; off < f.ps.length; off += 1400)
        units += count(d.push(f.ps.subarray(off, off + 1400)));
      units += count(d.flush());
    }
    return units;
  };
  const rtpPath = () => {
    const framer = new gb.Rfc4571Decoder();
    const depack = new gb.PsRtpDepacketizer();
    const d = new gb.PsDemuxer();
    let units = 0;
    for (const f of frames) {
      for (const pkt of framer.push(f.tcp)) {
        const p = gb.parseRtp(pkt);
        if (!p.ok) continue;
        for (const fr of depack.push(p.value)) {
          units += count(d.push(fr.data));
          units += count(d.flush());
        }
      }
    }
    return units;
  };
  const measure = (fn: () => number) => {
    fn();
    let loops = 0;
    let units = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < targetSeconds * 1000) {
      units += fn();
      loops++;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (units !== loops * frames.length)
      throw new Error(`demux lost frames: ${units} of ${loops * frames.length}`);
    return {
      mbPerS: Math.round((loops * psBytes) / seconds / 1e4) / 100,
      framesPerS: Math.round((loops * frames.length) / seconds),
      seconds: Math.round(seconds * 100) / 100,
    };
  };
  const a = measure(psOnly);
  const b = measure(rtpPath);
  const streamsPerCore = Math.floor((a.mbPerS * 1e6 * 8) / bitrate);
  print(
    `  clip ${clip.frames.length} frames, ${(psBytes / 1e6).toFixed(2)} MB of PS (${(bitrate / 1e6).toFixed(2)} Mbit/s)\n` +
      `  PS → access units:            ${a.mbPerS} MB/s, ${a.framesPerS} frames/s (≈ ${streamsPerCore} such streams per core)\n` +
      `  RFC 4571 → RTP → PS → units:  ${b.mbPerS} MB/s, ${b.framesPerS} frames/s`,
  );
  return { clip: { frames: clip.frames.length, psBytes }, psOnly: a, rtpPath: b, streamsPerCore };
}

function count(events: gb.PsDemuxEvent[]): number {
  let n = 0;
  for (const e of events) if (e.kind === 'video') n++;
  return n;
}
