import * as gb from '@wall/protocol/gb28181';

/**
 * PS over RTP → video access units: RTP payloads of one timestamp make a frame (the marker ends it,
 * `gb.PsRtpDepacketizer`), each frame goes through the PS demuxer, which is flushed at the end of
 * the frame (`gb.PsDemuxer`). Pure: parsed RTP packets in, access units out.
 */

const PACK_START = Buffer.from([0, 0, 1, 0xba]);

export interface PsVideoUnit extends gb.AccessUnit {
  /** The device's RTP timestamp of the frame that completed it. */
  rtpTimestamp: number;
}

export interface PsVideoOutput {
  units: PsVideoUnit[];
  /** A PS pack header was seen for the first time (in this packet's payload). */
  firstPack: boolean;
  /** Problems the demuxer reported (garbage skipped, malformed headers, unsupported codec). */
  problems: { code: gb.PsProblemCode; message: string }[];
}

export class PsVideoDecoder {
  #depacketizer = new gb.PsRtpDepacketizer();
  #demuxer = new gb.PsDemuxer({ audio: false });
  #packSeen = false;
  #incomplete = 0;

  /** Frames that had a gap or no marker (passed on anyway: the demuxer resyncs). */
  get incompleteFrames(): number {
    return this.#incomplete;
  }

  /** A new connection: forget partial frames (what was seen stays seen). */
  reset(): void {
    this.#depacketizer = new gb.PsRtpDepacketizer();
    this.#demuxer = new gb.PsDemuxer({ audio: false });
  }

  push(packet: gb.RtpPacket): PsVideoOutput {
    const out: PsVideoOutput = { units: [], firstPack: false, problems: [] };
    if (!this.#packSeen) {
      const p = packet.payload;
      if (Buffer.from(p.buffer, p.byteOffset, p.byteLength).includes(PACK_START)) {
        this.#packSeen = true;
        out.firstPack = true;
      }
    }
    for (const frame of this.#depacketizer.push(packet)) {
      if (!frame.complete) this.#incomplete++;
      const events = this.#demuxer.push(frame.data);
      events.push(...this.#demuxer.flush());
      for (const e of events) {
        if (e.kind === 'video') out.units.push({ ...e.unit, rtpTimestamp: frame.timestamp });
        else if (e.kind === 'problem') out.problems.push({ code: e.code, message: e.message });
      }
    }
    return out;
  }
}
