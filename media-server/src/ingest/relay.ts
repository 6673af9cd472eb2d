import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { NalFlag, NalType, parseSps, type SpsInfo, walkNals } from './h264.ts';
import {
  isRtcp,
  locateRtpPayload,
  type RtpPayloadRange,
  rtpMarker,
  rtpSequenceNumber,
  rtpTimestamp,
} from './rtp.ts';

export interface RtpRelayOptions {
  /** Address the RTP socket binds to (an ephemeral port). Default 127.0.0.1. */
  bindHost?: string;
  /** Where every RTP/RTCP packet is forwarded (the mediasoup PlainTransport). */
  forwardTo: { host: string; port: number };
  /** Cap on the buffered GOP, in packets. Default 4000. */
  maxGopPackets?: number;
  /** Milliseconds clock used for stats and event times. Default `performance.now`. */
  clock?: () => number;
  /** SO_RCVBUF of the RTP socket and SO_SNDBUF of the forwarding one (capped by the kernel). Default 1 MiB. */
  socketBufferSize?: number;
}

export interface RtpRelayStats {
  /** RTP media packets received (RTCP and garbage excluded). */
  packets: number;
  /** Bytes of those packets (whole datagrams). */
  bytes: number;
  /** Datagrams that were neither RTP nor RTCP; dropped. */
  garbage: number;
  /** RTCP packets received and forwarded. */
  rtcp: number;
  /** Datagrams handed to the forwarding socket (media + RTCP). */
  forwarded: number;
  /** Valid datagrams not forwarded: overflow of the queue kept while retargeting, or no usable target. */
  dropped: number;
  /** Errors reported by the sockets (e.g. ICMP port unreachable while nobody listens at `forwardTo`). */
  socketErrors: number;
  /** Times the GOP outgrew `maxGopPackets` (the GOP is then dropped until the next key frame). */
  gopOverflows: number;
  /** Media bit rate over the last 1–2 s. */
  bitrateKbps: number;
  /** Frames per second over the last 1–2 s (a frame ends at a marker bit or a timestamp change). */
  fps: number;
  /** From the latest SPS. */
  width?: number;
  height?: number;
  profileIdc?: number;
  levelIdc?: number;
  profileLevelId?: string;
  ssrc?: number;
  payloadType?: number;
  keyFrames: number;
  /** Clock times (ms). */
  firstPacketAt?: number;
  firstKeyFrameAt?: number;
  lastKeyFrameAt?: number;
  /** Packets in the current GOP. */
  gopPackets: number;
}

export interface RtpRelayKeyFrame {
  /** Clock time (ms). */
  at: number;
  /** 1 for the first GOP, then +1 per key frame. */
  gopIndex: number;
  /** RTP timestamp of the key frame. */
  timestamp: number;
}

export interface RtpRelayEvents {
  /** The first RTP media packet arrived (clock ms). Once. */
  'packet:first': [at: number];
  /** A key frame started a new GOP. Every key frame. */
  keyframe: [info: RtpRelayKeyFrame];
  /** An SPS was seen for the first time, or one that differs from the previous one. */
  sps: [info: SpsInfo];
}

const SPS_BIT = 1 << NalType.SPS;
const KEY_FRAME_BITS = (1 << NalType.IDR) | SPS_BIT;
/** Slices: NAL types 1–5. */
const VCL_BITS = 0b111110;
const WINDOW_MS = 1000;
/** Packets held while the forwarding socket reconnects to a new target (see `setForwardTo`). */
const MAX_PENDING = 2048;

export interface ForwardTarget {
  host: string;
  port: number;
}

/**
 * Receives the RTP that ffmpeg sends (`-f rtp`) on a UDP socket of its own and forwards every valid packet,
 * unchanged, to a mediasoup PlainTransport. On the way it keeps the current GOP (the packets since the last
 * key frame, to prime new viewers) and measures the stream (rates, SPS dimensions, key frames).
 *
 * Packets leave from a second socket connected to `forwardTo`, so that whatever mediasoup sends back (RTCP
 * receiver reports, with `comedia`) never comes back in as ingest.
 */
export class RtpRelay extends EventEmitter<RtpRelayEvents> {
  readonly #in: Socket;
  readonly #out: Socket;
  readonly #port: number;
  readonly #clock: () => number;
  readonly #maxGopPackets: number;
  readonly #range: RtpPayloadRange = { start: 0, end: 0 };
  #closing: Promise<void> | undefined;
  #target: ForwardTarget;
  /** The forwarding socket is connected to #target: send() needs no address. */
  #connected = true;
  #connecting = false;
  #pending: Buffer[] = [];

  // Totals.
  #packets = 0;
  #bytes = 0;
  #garbage = 0;
  #rtcp = 0;
  #forwarded = 0;
  #dropped = 0;
  #socketErrors = 0;
  #gopOverflows = 0;
  #keyFrames = 0;
  #firstPacketAt: number | undefined;
  #firstKeyFrameAt: number | undefined;
  #lastKeyFrameAt: number | undefined;
  #ssrc: number | undefined;
  #payloadType: number | undefined;

  // Sliding window: the current bucket and the one before it, WINDOW_MS each.
  #winStart = 0;
  #winBytes = 0;
  #winFrames = 0;
  #prevStart = 0;
  #prevBytes = 0;
  #prevFrames = 0;
  #hasPrev = false;
  /** RTP timestamp of the latest packet, and of the latest frame counted (-1: none). */
  #lastTs = -1;
  #countedTs = -1;

  // GOP.
  readonly #gop: Buffer[] = [];
  /** Listeners of every valid RTP media packet (see `tap`). */
  readonly #taps: ((packet: Buffer) => void)[] = [];
  #gopActive = false;
  #gopHasSlice = false;
  #gopTimestamp = -1;
  #gopIndex = 0;

  // SPS.
  #sps: SpsInfo | undefined;
  #spsNal: Buffer | undefined;
  /** Fragments of an SPS split across FU-A packets, and the sequence number expected next. */
  #spsFragments: Buffer[] | undefined;
  #spsNextSeq = -1;
  #spsSeq = 0;
  #spsPacket: Buffer | undefined;
  readonly #visitSps = (header: number, start: number, end: number, flags: number): void => {
    if ((header & 0x1f) !== NalType.SPS) {
      this.#spsFragments = undefined; // another NAL unit interrupts a fragmented SPS
      return;
    }
    const packet = this.#spsPacket as Buffer;
    if (flags === 0) {
      this.#onSps(packet.subarray(start, end));
    } else if (flags & NalFlag.START) {
      this.#spsFragments = [Buffer.from([header]), Buffer.from(packet.subarray(start, end))];
      this.#spsNextSeq = (this.#spsSeq + 1) & 0xffff;
    } else if (this.#spsFragments && this.#spsSeq === this.#spsNextSeq) {
      this.#spsFragments.push(Buffer.from(packet.subarray(start, end)));
      this.#spsNextSeq = (this.#spsSeq + 1) & 0xffff;
      if (flags & NalFlag.END) {
        const nal = Buffer.concat(this.#spsFragments);
        this.#spsFragments = undefined;
        this.#onSps(nal);
      }
    } else {
      this.#spsFragments = undefined;
    }
  };

  private constructor(input: Socket, output: Socket, options: RtpRelayOptions) {
    super();
    this.#in = input;
    this.#out = output;
    this.#port = input.address().port;
    this.#target = { host: options.forwardTo.host, port: options.forwardTo.port };
    this.#clock = options.clock ?? (() => performance.now());
    this.#maxGopPackets = Math.max(1, options.maxGopPackets ?? 4000);
    input.on('message', (msg) => this.ingest(msg));
    const onError = (): void => {
      this.#socketErrors++;
    };
    input.on('error', onError);
    output.on('error', onError);
  }

  /** Binds the RTP socket (ephemeral port, see {@link port}) and connects the forwarding one. */
  static async create(options: RtpRelayOptions): Promise<RtpRelay> {
    const bindHost = options.bindHost ?? '127.0.0.1';
    const bufferSize = options.socketBufferSize ?? 1 << 20;
    const input = createSocket({ type: isIPv6(bindHost) ? 'udp6' : 'udp4', recvBufferSize: bufferSize });
    const output = createSocket({
      type: isIPv6(options.forwardTo.host) ? 'udp6' : 'udp4',
      sendBufferSize: bufferSize,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        input.once('error', reject);
        input.bind(0, bindHost, () => {
          input.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        output.connect(options.forwardTo.port, options.forwardTo.host, (err?: Error) =>
          err ? reject(err) : resolve(),
        );
      });
    } catch (err) {
      input.close();
      output.close();
      throw err;
    }
    return new RtpRelay(input, output, options);
  }

  /** The UDP port ffmpeg should send RTP to. */
  get port(): number {
    return this.#port;
  }

  /**
   * The local port forwarded packets come from (what a `comedia` PlainTransport will see). It changes with
   * `setForwardTo` (Linux releases an automatically bound port when a UDP socket disconnects). 0 once closed.
   */
  get sourcePort(): number {
    try {
      return this.#out.address().port;
    } catch {
      return 0; // closed
    }
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Where packets are forwarded (the latest target set). */
  get forwardTo(): ForwardTarget {
    return { ...this.#target };
  }

  /**
   * Forwards to another address from now on: meant for a new PlainTransport (e.g. after a worker died), as
   * packets then leave from a new local port, which a `comedia` transport that already latched onto the old
   * one would ignore. The same target again is a no-op. Packets that arrive while the socket reconnects
   * (a tick for an IP address) are queued, then sent in order.
   */
  setForwardTo(target: ForwardTarget): void {
    if (this.#closing) return;
    if (target.host === this.#target.host && target.port === this.#target.port) return;
    this.#target = { host: target.host, port: target.port };
    if (!this.#connecting) this.#reconnect();
  }

  /**
   * Handles one datagram as if it had arrived on the RTP socket (the socket calls this; tests and benchmarks
   * may too). The relay keeps a reference to `packet` while it is part of the GOP: do not reuse it.
   */
  ingest(packet: Buffer): void {
    if (this.#closing) return;
    if (isRtcp(packet)) {
      this.#rtcp++;
      this.#forward(packet);
      return;
    }
    const range = this.#range;
    if (!locateRtpPayload(packet, range)) {
      this.#garbage++;
      return;
    }
    this.#forward(packet);
    this.#media(packet, range.start, range.end, this.#clock());
    for (const tap of this.#taps) tap(packet);
  }

  /**
   * Calls `listener` with every valid RTP media packet, after it was forwarded and measured (a recorder
   * reads the stream the viewers get, without a second connection to the camera). The packet is the
   * relay's own (kept in the GOP): read it, never change it. Returns the function that removes the tap.
   */
  tap(listener: (packet: Buffer) => void): () => void {
    this.#taps.push(listener);
    return () => {
      const i = this.#taps.indexOf(listener);
      if (i >= 0) this.#taps.splice(i, 1);
    };
  }

  /** Copies of the packets since the last key frame, oldest first (empty before the first key frame). */
  gop(): Buffer[] {
    const packets = this.#gop;
    let total = 0;
    for (const p of packets) total += p.length;
    const copy = Buffer.allocUnsafe(total);
    const result: Buffer[] = new Array(packets.length);
    let offset = 0;
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i] as Buffer;
      p.copy(copy, offset);
      result[i] = copy.subarray(offset, offset + p.length);
      offset += p.length;
    }
    return result;
  }

  stats(): RtpRelayStats {
    const now = this.#clock();
    let fps = 0;
    let bitrateKbps = 0;
    if (this.#firstPacketAt !== undefined) {
      this.#roll(now);
      const span = now - (this.#hasPrev ? this.#prevStart : this.#winStart);
      if (span > 0) {
        fps = ((this.#prevFrames + this.#winFrames) * 1000) / span;
        bitrateKbps = ((this.#prevBytes + this.#winBytes) * 8) / span;
      }
    }
    const sps = this.#sps;
    return {
      packets: this.#packets,
      bytes: this.#bytes,
      garbage: this.#garbage,
      rtcp: this.#rtcp,
      forwarded: this.#forwarded,
      dropped: this.#dropped,
      socketErrors: this.#socketErrors,
      gopOverflows: this.#gopOverflows,
      bitrateKbps,
      fps,
      width: sps?.width,
      height: sps?.height,
      profileIdc: sps?.profileIdc,
      levelIdc: sps?.levelIdc,
      profileLevelId: sps?.profileLevelId,
      ssrc: this.#ssrc,
      payloadType: this.#payloadType,
      keyFrames: this.#keyFrames,
      firstPacketAt: this.#firstPacketAt,
      firstKeyFrameAt: this.#firstKeyFrameAt,
      lastKeyFrameAt: this.#lastKeyFrameAt,
      gopPackets: this.#gop.length,
    };
  }

  /** Closes both sockets. Idempotent; every call returns the same promise. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#gop.length = 0;
      this.#pending = [];
      this.#spsFragments = undefined;
      const closeSocket = (socket: Socket): Promise<void> =>
        new Promise((resolve) => {
          try {
            socket.close(() => resolve());
          } catch {
            resolve(); // already closed
          }
        });
      this.#closing = Promise.all([closeSocket(this.#in), closeSocket(this.#out)]).then(() => undefined);
    }
    return this.#closing;
  }

  #forward(packet: Buffer): void {
    if (this.#connected) {
      this.#forwarded++;
      // Connected socket, no callback: no address lookup and no per-packet closure. Failures surface as
      // socket 'error' events (counted).
      this.#out.send(packet);
    } else if (this.#connecting && this.#pending.length < MAX_PENDING) {
      this.#pending.push(packet);
    } else {
      this.#dropped++;
    }
  }

  #reconnect(): void {
    const target = this.#target;
    this.#connecting = true;
    if (this.#connected) {
      this.#connected = false;
      this.#out.disconnect();
    }
    this.#out.connect(target.port, target.host, (err?: Error) => {
      this.#connecting = false;
      if (this.#closing) return;
      if (err) {
        this.#socketErrors++;
        this.#dropped += this.#pending.length;
        this.#pending = [];
        if (target !== this.#target) this.#reconnect();
        return;
      }
      this.#connected = true;
      if (target !== this.#target) {
        this.#reconnect(); // retargeted meanwhile: keep queueing
        return;
      }
      const pending = this.#pending;
      this.#pending = [];
      for (const packet of pending) this.#forward(packet);
    });
  }

  #media(packet: Buffer, start: number, end: number, now: number): void {
    this.#packets++;
    this.#bytes += packet.length;
    if (this.#firstPacketAt === undefined) {
      this.#firstPacketAt = now;
      this.#winStart = now;
      this.#ssrc = packet.readUInt32BE(8);
      this.#payloadType = (packet[1] as number) & 0x7f;
      this.emit('packet:first', now);
    }

    // Rates.
    this.#roll(now);
    this.#winBytes += packet.length;
    const ts = rtpTimestamp(packet);
    if (ts !== this.#lastTs) {
      // A new timestamp ends the previous frame, unless its marker packet already did.
      if (this.#lastTs !== -1 && this.#lastTs !== this.#countedTs) {
        this.#winFrames++;
        this.#countedTs = this.#lastTs;
      }
      this.#lastTs = ts;
    }
    if (rtpMarker(packet) && ts !== this.#countedTs) {
      this.#winFrames++;
      this.#countedTs = ts;
    }

    // H.264: which NAL units start here; SPS (whole, aggregated or fragmented).
    const nals = walkNals(packet, undefined, start, end);
    if (nals & SPS_BIT || this.#spsFragments) {
      this.#spsPacket = packet;
      this.#spsSeq = rtpSequenceNumber(packet);
      walkNals(packet, this.#visitSps, start, end);
      this.#spsPacket = undefined;
    }

    // GOP. A key frame start opens a new GOP unless it belongs to the access unit that opened the current
    // one: same timestamp (SPS+PPS then IDR slices; encoders with several slices per frame), or nothing but
    // parameter sets / SEI so far (encoders that stamp them apart from the IDR).
    if (nals & KEY_FRAME_BITS && !(this.#gopActive && (ts === this.#gopTimestamp || !this.#gopHasSlice))) {
      this.#gop.length = 0;
      this.#gopActive = true;
      this.#gopHasSlice = false;
      this.#gopTimestamp = ts;
      this.#gopIndex++;
      this.#keyFrames++;
      this.#lastKeyFrameAt = now;
      this.#firstKeyFrameAt ??= now;
      this.emit('keyframe', { at: now, gopIndex: this.#gopIndex, timestamp: ts });
    }
    if (this.#gopActive) {
      if (!this.#gopHasSlice && nals & VCL_BITS) {
        this.#gopHasSlice = true;
        this.#gopTimestamp = ts;
      }
      if (this.#gop.length < this.#maxGopPackets) {
        this.#gop.push(packet);
      } else {
        // Priming with a truncated GOP would leave a hole before the live packets: wait for the next one.
        this.#gopOverflows++;
        this.#gopActive = false;
        this.#gop.length = 0;
      }
    }
  }

  #roll(now: number): void {
    const age = now - this.#winStart;
    if (age < WINDOW_MS) return;
    if (age < 2 * WINDOW_MS) {
      this.#prevStart = this.#winStart;
      this.#prevBytes = this.#winBytes;
      this.#prevFrames = this.#winFrames;
      this.#winStart += WINDOW_MS;
    } else {
      this.#prevStart = now - WINDOW_MS;
      this.#prevBytes = 0;
      this.#prevFrames = 0;
      this.#winStart = now;
    }
    this.#winBytes = 0;
    this.#winFrames = 0;
    this.#hasPrev = true;
  }

  #onSps(nal: Uint8Array): void {
    if (this.#spsNal?.equals(nal)) return;
    const info = parseSps(nal);
    if (!info) return;
    this.#spsNal = Buffer.from(nal);
    const previous = this.#sps;
    this.#sps = info;
    if (
      !previous ||
      previous.width !== info.width ||
      previous.height !== info.height ||
      previous.profileLevelId !== info.profileLevelId
    ) {
      this.emit('sps', info);
    }
  }
}
