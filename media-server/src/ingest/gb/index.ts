import type { GbMedia, GbSource, IngestSource } from '@wall/protocol';
import * as gb from '@wall/protocol/gb28181';
import { HevcRtpPacketizer } from '../h265.ts';
import type { FeedContext, FeedStatus, IngestSteps, SourceAdapter, SourceFeed } from '../source.ts';
import { splitNalUnits } from './annexb.ts';
import { H264Packetizer, type H264Unit } from './h264-packetizer.ts';
import { HevcTranscoder } from './hevc-transcoder.ts';
import { PortPool } from './port-pool.ts';
import { PsVideoDecoder, type PsVideoUnit } from './ps-video.ts';
import { MediaReceiver } from './receiver.ts';

export interface GbSourceOptions {
  /** The address devices send their media to (MEDIA_GB_IP): what the gateway puts in its INVITE. */
  ip: string;
  /** Where the media ports listen (MEDIA_GB_LISTEN_IP). */
  listenIp: string;
  /** Media ports (MEDIA_GB_PORT_MIN…MAX), one per GB stream. */
  portMin: number;
  portMax: number;
  /** No RTP this long after the gateway's INVITE got its 200 OK → offline `gb:no_media`. */
  noMediaTimeoutMs: number;
  /** At most one key frame request per stream in this time (ms). */
  keyFrameRequestIntervalMs: number;
}

const DEFAULTS: GbSourceOptions = {
  ip: '127.0.0.1',
  listenIp: '127.0.0.1',
  portMin: 30000,
  portMax: 30999,
  noMediaTimeoutMs: 10_000,
  keyFrameRequestIntervalMs: 1000,
};

/** A new transcoder is not started sooner than this after one failed. */
const TRANSCODER_RETRY_MS = 5000;

/**
 * GB/T 28181 channels: the node opens a media port, the gateway INVITEs the device to send PS over
 * RTP to it, and the feed turns that into H.264 RTP for the relay (the same path as RTSP).
 */
export function gbSource(options: Partial<GbSourceOptions> = {}): SourceAdapter<GbSource> {
  const o: GbSourceOptions = { ...DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) Object.assign(o, { [k]: v });
  const ports = new PortPool(o.portMin, o.portMax);
  return {
    check() {
      // The contract's schema says all there is to say (20-digit channel, 10-digit SSRC).
    },
    create: (source, ctx) => new GbFeed(source, ctx, o, ports),
  };
}

/**
 * Media port (TCP passive or UDP) → RTP → PS frames (marker) → PS demuxer → access units →
 * H.264 RTP (RFC 6184) with the producer's PT and SSRC → the relay. H.265 goes through an ffmpeg
 * transcoder first. Every start-up step is marked: first_rtp, first_ps_pack, first_keyframe (here),
 * first_producer_packet (the relay's first packet), invite_sent / invite_ok (from the gateway).
 */
class GbFeed implements SourceFeed {
  readonly relayFirstPacket = 'first_producer_packet' as const;
  readonly #ctx: FeedContext;
  readonly #o: GbSourceOptions;
  readonly #ports: PortPool;
  readonly #decoder = new PsVideoDecoder();
  readonly #packetizer: H264Packetizer;
  /** The device's own H.265 as RTP, for the recorders (live gets the transcode). */
  readonly #hevcPacketizer: HevcRtpPacketizer;
  readonly #problemsLogged = new Set<string>();
  readonly #source: GbSource;
  readonly #expectedSsrc: number;
  #receiver: MediaReceiver | undefined;
  #codec: 'h264' | 'hevc' | undefined;
  #transcoder: HevcTranscoder | undefined;
  #transcoderFailedAt = 0;
  #hevcStarted = false;
  #awaiting = true;
  #ssrcLogged = false;
  #garbage = 0;
  #problems = 0;
  #noMedia: NodeJS.Timeout | undefined;
  #keyFrameAt = 0;
  #keyFrameTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(source: GbSource, ctx: FeedContext, o: GbSourceOptions, ports: PortPool) {
    this.#source = source;
    this.#expectedSsrc = Number(source.ssrc);
    this.#ctx = ctx;
    this.#o = o;
    this.#ports = ports;
    this.#packetizer = new H264Packetizer({ ssrc: ctx.ssrc, payloadType: ctx.payloadType });
    this.#hevcPacketizer = new HevcRtpPacketizer({ ssrc: ctx.ssrc + 1, payloadType: ctx.payloadType });
  }

  async start(): Promise<void> {
    const receiver = await MediaReceiver.open({
      transport: this.#source.transport,
      listenIp: this.#o.listenIp,
      ports: this.#ports,
      log: this.#ctx.log,
    });
    if (this.#closed) {
      await receiver.close();
      return;
    }
    this.#receiver = receiver;
    receiver.on('rtp', (packet) => this.#onRtp(packet));
    receiver.on('connected', () => {
      // A new connection (or sender) starts its own stream: no partial frame carries over.
      this.#decoder.reset();
      this.#packetizer.reset();
      this.#hevcStarted = false;
    });
    receiver.on('disconnected', () => {
      // The device is gone: the gateway has to INVITE again.
      this.#awaiting = true;
      this.#ctx.changed();
    });
    this.#ctx.log.info(
      {
        channelId: this.#source.channelId,
        ip: this.#o.ip,
        port: receiver.port,
        transport: this.#source.transport,
        ssrc: this.#source.ssrc,
      },
      'GB media port open',
    );
  }

  /**
   * The same channel over the same transport keeps its port and its SSRC: the gateway INVITEs (again)
   * with what the status says, so a retried ensure never makes it drop a dialog for a new SSRC.
   */
  adopt(source: IngestSource): boolean {
    return (
      source.kind === 'gb28181' &&
      source.channelId === this.#source.channelId &&
      source.transport === this.#source.transport
    );
  }

  status(): FeedStatus {
    const gbMedia: GbMedia | undefined = this.#receiver
      ? {
          ip: this.#o.ip,
          port: this.#receiver.port,
          transport: this.#source.transport,
          ssrc: this.#source.ssrc,
          awaitingMedia: this.#awaiting,
        }
      : undefined;
    return {
      ...(this.#codec ? { codec: this.#codec } : {}),
      transcoded: this.#codec === 'hevc',
      ...(gbMedia ? { gbMedia } : {}),
    };
  }

  viewerJoined(): void {
    const wait = this.#keyFrameAt + this.#o.keyFrameRequestIntervalMs - Date.now();
    if (wait <= 0) {
      this.#requestKeyFrame();
    } else if (!this.#keyFrameTimer) {
      // Within the interval of the last request: one more at its end, for the viewers since.
      this.#keyFrameTimer = setTimeout(() => {
        this.#keyFrameTimer = undefined;
        this.#requestKeyFrame();
      }, wait);
      this.#keyFrameTimer.unref();
    }
  }

  #requestKeyFrame(): void {
    if (this.#closed) return;
    this.#keyFrameAt = Date.now();
    this.#ctx.requestKeyFrame();
  }

  steps(steps: IngestSteps): void {
    // While the device's media is awaited a new INVITE replaces the previous one's times.
    const again = this.#awaiting;
    if (steps.invite_sent !== undefined) this.#ctx.mark('invite_sent', steps.invite_sent, again);
    if (steps.invite_ok !== undefined) {
      this.#ctx.mark('invite_ok', steps.invite_ok, again);
      if (again) this.#armNoMedia();
    }
  }

  live(): void {
    // Nothing to reset: the device is not restarted by the node.
  }

  #armNoMedia(): void {
    clearTimeout(this.#noMedia);
    this.#noMedia = setTimeout(() => {
      this.#noMedia = undefined;
      if (this.#closed || !this.#awaiting) return;
      this.#ctx.log.warn(
        { port: this.#receiver?.port, timeoutMs: this.#o.noMediaTimeoutMs },
        'GB media: no RTP from the device after its 200 OK',
      );
      this.#ctx.setState('offline', 'gb:no_media');
    }, this.#o.noMediaTimeoutMs);
    this.#noMedia.unref();
  }

  #onRtp(bytes: Buffer): void {
    if (this.#closed) return;
    const b1 = bytes[1] ?? 0;
    if (b1 >= 192 && b1 <= 223) return; // RTCP (UDP devices send sender reports to the same port)
    const parsed = gb.parseRtp(bytes);
    if (!parsed.ok) {
      this.#garbage++;
      return;
    }
    const packet = parsed.value;
    if (this.#awaiting) {
      this.#awaiting = false;
      clearTimeout(this.#noMedia);
      this.#noMedia = undefined;
      this.#ctx.mark('first_rtp');
      if (this.#ctx.state() === 'offline') this.#ctx.setState('starting');
      this.#ctx.changed();
    }
    if (packet.ssrc !== this.#expectedSsrc && !this.#ssrcLogged) {
      this.#ssrcLogged = true;
      this.#ctx.log.warn(
        { expected: this.#source.ssrc, got: packet.ssrc },
        'GB media: the device sends another SSRC than its INVITE (kept)',
      );
    }
    const out = this.#decoder.push(packet);
    if (out.firstPack) this.#ctx.mark('first_ps_pack');
    for (const p of out.problems) {
      this.#problems++;
      if (!this.#problemsLogged.has(p.code)) {
        this.#problemsLogged.add(p.code);
        this.#ctx.log.warn({ code: p.code, detail: p.message }, 'GB media: PS problem (first of its kind)');
      }
    }
    for (const unit of out.units) this.#onUnit(unit);
  }

  #onUnit(unit: PsVideoUnit): void {
    if (unit.codec === 'h265') {
      this.#onHevc(unit);
      return;
    }
    if (this.#codec !== 'h264') {
      this.#codec = 'h264';
      this.#transcoder?.close();
      this.#transcoder = undefined;
      this.#ctx.endSourceRtp();
      this.#ctx.changed();
    }
    this.#sendH264({ data: unit.data, pts: unit.pts, rtpTimestamp: unit.rtpTimestamp });
  }

  #onHevc(unit: PsVideoUnit): void {
    if (this.#codec !== 'hevc') {
      this.#codec = 'hevc';
      this.#ctx.log.warn('GB media: the device sends H.265: transcoding to H.264');
      this.#ctx.changed();
    }
    // The recorders keep the device's own H.265 (evidence), handed to them as RTP beside the transcode.
    for (const p of this.#hevcPacketizer.packetize(splitNalUnits(unit.data), unit.pts % 2 ** 32)) {
      this.#ctx.ingestSourceRtp(p, 'h265');
    }
    if (!this.#hevcStarted) {
      if (!unit.keyframe) return; // the transcoder's decoder needs a key frame first
      this.#hevcStarted = true;
      this.#ctx.mark('first_keyframe');
    }
    if (!this.#transcoder) {
      if (Date.now() - this.#transcoderFailedAt < TRANSCODER_RETRY_MS || !unit.keyframe) return;
      if (this.#transcoderFailedAt > 0) this.#ctx.restarted();
      const t = new HevcTranscoder(this.#ctx.log);
      t.on('unit', (u) => {
        if (this.#transcoder === t) this.#sendH264({ data: u.data, pts: u.pts });
      });
      t.on('failed', (reason) => {
        if (this.#transcoder !== t) return;
        this.#transcoder = undefined;
        this.#transcoderFailedAt = Date.now();
        this.#ctx.setState('offline', 'gb:transcode_failed');
        this.#ctx.log.warn({ reason }, 'GB media: H.265 transcoder failed');
      });
      this.#transcoder = t;
    }
    this.#transcoder.push(unit.data, unit.pts, unit.keyframe);
  }

  #sendH264(unit: H264Unit): void {
    const r = this.#packetizer.packetize(unit);
    if (r.packets.length === 0) return;
    if (r.keyframe) this.#ctx.mark('first_keyframe');
    for (const p of r.packets) this.#ctx.ingestRtp(p);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#noMedia);
    clearTimeout(this.#keyFrameTimer);
    this.#transcoder?.close();
    this.#transcoder = undefined;
    const r = this.#receiver;
    if (r) {
      this.#ctx.log.info(
        {
          port: r.port,
          garbage: this.#garbage,
          psProblems: this.#problems,
          incompleteFrames: this.#decoder.incompleteFrames,
          refused: r.refused,
          ...r.framerStats,
        },
        'GB media port closed',
      );
      void r.close();
    }
  }
}
