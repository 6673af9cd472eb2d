import { createHash } from 'node:crypto';
import type {
  EnsureIngestRequest,
  IngestSource,
  RecordingEvent,
  RecordingGap,
  RecordingGapReason,
  StreamProfile,
  StreamState,
  StreamStatus,
} from '@wall/protocol';
import type { Logger } from '../lib/logger.ts';
import { AccessUnitAssembler, type ReceivedAccessUnit } from './access-units.ts';
import type { RecordingEventSink } from './events.ts';
import { codecOf, MP4_TIMESCALE, muxSegment, type VideoCodec } from './fmp4.ts';
import { type CutSegment, Segmenter } from './segmenter.ts';
import type { RecordingStorage } from './storage.ts';

/** What a recorder is doing (the control API's `state`). */
export type RecorderState =
  /** Waiting for the stream's first key frame (at start, after a resume). */
  | 'starting'
  | 'recording'
  /** The source stopped delivering; the next key frame resumes, after a `source_lost` gap. */
  | 'source_lost'
  /** Stopped for lack of storage; resumes when space returns. */
  | 'storage_full'
  /** The stream cannot be recorded: the relay carries a transcode and the camera's own stream is not tapped. */
  | 'unsupported'
  | 'stopped';

/** What a recorder uses of an ingest (the node's `Ingest`). */
export interface RecordableIngest {
  readonly closed: boolean;
  readonly state: StreamState;
  /**
   * Every RTP packet of the camera's own stream (the relay's H.264, or the H.265 the camera sends
   * when the relay carries a transcode of it), with its codec; returns the remover.
   */
  tap(listener: (packet: Buffer, codec: VideoCodec) => void): () => void;
  status(): Pick<StreamStatus, 'transcoded' | 'reason'>;
  once(event: 'closed', listener: () => void): unknown;
  off(event: 'closed', listener: () => void): unknown;
}

/** What a recorder uses of the ingests (the node's `IngestManager`): start one, hold it, let go. */
export interface RecorderIngests {
  ensure(req: EnsureIngestRequest): Promise<RecordableIngest>;
  hold(ingest: RecordableIngest): void;
  unhold(ingest: RecordableIngest): void;
}

/** What the recorder needs from the node: its services, and the storage admission (disk full). */
export interface RecorderHost {
  nodeId: string;
  segmentMs: number;
  ingests: RecorderIngests;
  storage: RecordingStorage;
  events: RecordingEventSink;
  logger: Logger;
  /** Called before each write: false when the segment must not be written (storage full). */
  admit(recorder: CameraRecorder): Promise<boolean>;
  /** Wall clock, ms since the epoch. */
  now(): number;
}

export interface RecorderEntry {
  cameraId: string;
  profile: StreamProfile;
  priority: number;
  source: IngestSource;
}

export interface RecorderStatus {
  cameraId: string;
  profile: StreamProfile;
  priority: number;
  state: RecorderState;
  /** When it entered that state (ms since the epoch). */
  since: number;
  segments: number;
  bytes: number;
  frames: number;
  /** End of the last segment written (ms since the epoch). */
  lastSegmentEndMs?: number;
  lastGap?: Pick<RecordingGap, 'fromMs' | 'toMs' | 'reason' | 'detail'>;
  /** RTP packets missing from the stream, and frames recorded with a piece missing. */
  lostPackets: number;
  damagedFrames: number;
  /** Segments not written (storage full or a write error). */
  failedWrites: number;
}

/** Ticks of tolerance before a hole between two segments counts as a gap (a frame at 25 fps). */
const HOLE_TOLERANCE_MS = 40;
/** A timestamp jump this large (or backwards) is a new stream, not the next frame. */
const MAX_FRAME_STEP = 5 * MP4_TIMESCALE;
/** Arrival and RTP clocks may drift this far before the wall clock is re-anchored. */
const MAX_DRIFT_MS = 1000;
const RETRY_MS = 1000;
const EVENT_ATTEMPTS = 3;

interface PendingGap {
  reason: RecordingGapReason;
  detail?: string;
}

/**
 * The wall clock of a run of frames on its least delayed frame: `{ wall: arrivedAt, ts }` of the
 * frame whose arrival is earliest relative to its RTP time (arrival − ts / 90 kHz smallest) —
 * capture time plus the pipeline's least delay, free of the jitter any single frame (e.g. the key
 * frame a run starts with) may carry. undefined for no frames.
 */
export function leastDelayAnchor(
  units: readonly Pick<ReceivedAccessUnit, 'arrivedAt' | 'timestamp'>[],
): { wall: number; ts: number } | undefined {
  let best: { wall: number; ts: number } | undefined;
  for (const u of units) best = lessDelayed(best, u);
  return best;
}

/** `anchor`, or frame `u` as the anchor when it arrived with less delay (see leastDelayAnchor). */
export function lessDelayed(
  anchor: { wall: number; ts: number } | undefined,
  u: Pick<ReceivedAccessUnit, 'arrivedAt' | 'timestamp'>,
): { wall: number; ts: number } {
  const offset = (a: { wall: number; ts: number }) => a.wall - (a.ts * 1000) / MP4_TIMESCALE;
  const candidate = { wall: u.arrivedAt, ts: u.timestamp };
  return anchor === undefined || offset(candidate) < offset(anchor) ? candidate : anchor;
}

/** A camera id as the first part of its storage keys: itself when path-safe, else a hash of it. */
export function cameraKeyPart(cameraId: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(cameraId) && cameraId !== '.' && cameraId !== '..'
    ? cameraId
    : `id-${createHash('sha256').update(cameraId).digest('hex').slice(0, 32)}`;
}

/** Storage keys: `<cameraId>/<profile>/<YYYY-MM-DD UTC>/<startMs>.mp4`; odd camera ids are hashed. */
export function segmentKey(cameraId: string, profile: StreamProfile, startMs: number): string {
  const day = new Date(startMs).toISOString().slice(0, 10);
  return `${cameraKeyPart(cameraId)}/${profile}/${day}/${startMs}.mp4`;
}

/**
 * Records one camera profile continuously: holds its ingest (so it never idles out; not a viewer),
 * taps the relay's RTP, assembles access units, cuts segments at the first key frame after the
 * segment length, writes each through the storage, and appends its event once the file is durable.
 * Every hole is a gap event, appended when it ends (its `toMs` is the next segment's start).
 * Writes and events of one recorder are serialized in order.
 */
export class CameraRecorder {
  readonly cameraId: string;
  readonly profile: StreamProfile;
  readonly key: string;
  priority: number;
  readonly #host: RecorderHost;
  readonly #log: Logger;
  readonly #source: IngestSource;
  #codec: VideoCodec = 'h264';
  #assembler: AccessUnitAssembler;
  #segmenter: Segmenter;
  #state: RecorderState = 'starting';
  #since: number;
  #ingest: RecordableIngest | undefined;
  #untap: (() => void) | undefined;
  #onIngestClosed: (() => void) | undefined;
  #retry: NodeJS.Timeout | undefined;
  #attaching = false;
  #lastPacketAt = 0;
  #startedAt = 0;
  #lastTs = 0;
  /** Wall clock of the open run: wall(ts) = anchor.wall + (ts − anchor.ts) / 90. */
  #anchor: { wall: number; ts: number } | undefined;
  #openStartMs = 0;
  /**
   * The open segment is the first of a run: its start is set when it closes, on the least delayed
   * of its frames (and the hole before it accounted for then).
   */
  #runGap: { pending: PendingGap | undefined } | undefined;
  /** End (ms) of the last segment closed (written or not): new runs never start before it. */
  #closedUntil: number | undefined;
  /** End (ms) of what the stream of events accounts for: the last segment written or gap appended. */
  #recordedUntil: number | undefined;
  #pending: PendingGap | undefined;
  #chain: Promise<void> = Promise.resolve();
  #segments = 0;
  #bytes = 0;
  #frames = 0;
  #damagedFrames = 0;
  #failedWrites = 0;
  #lastSegmentEndMs: number | undefined;
  #lastGap: RecorderStatus['lastGap'];

  /** `previous`: where this camera's recording ended before (a node restart, a plan switched off). */
  constructor(
    entry: RecorderEntry,
    host: RecorderHost,
    previous?: { endMs: number; reason: RecordingGapReason },
  ) {
    this.cameraId = entry.cameraId;
    this.profile = entry.profile;
    this.key = `${entry.cameraId}:${entry.profile}`;
    this.priority = entry.priority;
    this.#source = entry.source;
    this.#host = host;
    this.#log = host.logger.child({ cameraId: entry.cameraId, profile: entry.profile });
    this.#since = host.now();
    this.#assembler = this.#newAssembler('h264');
    this.#segmenter = this.#newSegmenter('h264');
    if (previous) {
      this.#recordedUntil = previous.endMs;
      this.#closedUntil = previous.endMs;
      this.#pending = { reason: previous.reason };
    }
  }

  #newAssembler(codec: VideoCodec): AccessUnitAssembler {
    return new AccessUnitAssembler((u) => this.#onUnit(u), codec);
  }

  #newSegmenter(codec: VideoCodec): Segmenter {
    return new Segmenter({ segmentTicks: (this.#host.segmentMs * MP4_TIMESCALE) / 1000, codec });
  }

  #to(state: RecorderState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#since = this.#host.now();
  }

  get state(): RecorderState {
    return this.#state;
  }

  get source(): IngestSource {
    return this.#source;
  }

  /** Whether the recorder would write now (not stopped, suspended or unsupported). */
  get active(): boolean {
    return this.#state === 'starting' || this.#state === 'recording' || this.#state === 'source_lost';
  }

  status(): RecorderStatus {
    return {
      cameraId: this.cameraId,
      profile: this.profile,
      priority: this.priority,
      state: this.#state,
      since: this.#since,
      segments: this.#segments,
      bytes: this.#bytes,
      frames: this.#frames,
      ...(this.#lastSegmentEndMs !== undefined ? { lastSegmentEndMs: this.#lastSegmentEndMs } : {}),
      ...(this.#lastGap ? { lastGap: this.#lastGap } : {}),
      lostPackets: this.#assembler.lostPackets,
      damagedFrames: this.#damagedFrames,
      failedWrites: this.#failedWrites,
    };
  }

  /** Starts holding and tapping the ingest (retried until it works or the recorder stops). */
  start(): void {
    this.#startedAt = this.#host.now();
    this.#lastPacketAt = this.#startedAt;
    void this.#attach();
  }

  async #attach(): Promise<void> {
    if (this.#state === 'stopped' || this.#attaching || this.#ingest) return;
    this.#attaching = true;
    try {
      const ingest = await this.#host.ingests.ensure({
        cameraId: this.cameraId,
        profile: this.profile,
        source: this.#source,
      });
      if (this.state === 'stopped') return;
      if (ingest.closed) {
        this.#retryAttach(); // stopped while we waited for it
        return;
      }
      this.#host.ingests.hold(ingest);
      this.#ingest = ingest;
      this.#untap = ingest.tap((packet, codec) => this.#onPacket(packet, codec));
      this.#onIngestClosed = () => this.#ingestClosed(ingest);
      ingest.once('closed', this.#onIngestClosed);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'recording: ingest not available, retrying');
      this.#retryAttach();
    } finally {
      this.#attaching = false;
    }
  }

  #retryAttach(): void {
    if (this.#state === 'stopped') return;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => void this.#attach(), RETRY_MS);
    this.#retry.unref();
  }

  #detach(): void {
    const ingest = this.#ingest;
    if (!ingest) return;
    this.#ingest = undefined;
    this.#untap?.();
    this.#untap = undefined;
    if (this.#onIngestClosed) ingest.off('closed', this.#onIngestClosed);
    this.#onIngestClosed = undefined;
    if (!ingest.closed) this.#host.ingests.unhold(ingest);
  }

  /** The ingest was stopped under us (source moved, stopped by the gateway): lose, then take it again. */
  #ingestClosed(ingest: RecordableIngest): void {
    if (this.#ingest !== ingest) return;
    this.#detach();
    this.#lose('ingest stopped');
    this.#retryAttach();
  }

  #onPacket(packet: Buffer, codec: VideoCodec): void {
    this.#lastPacketAt = this.#host.now();
    if (codec !== this.#codec) this.#switchCodec(codec);
    if (this.active) this.#assembler.push(packet, this.#lastPacketAt);
  }

  /** The stream's codec changed (the ingest found the camera sends H.265): the open run ends there. */
  #switchCodec(codec: VideoCodec): void {
    this.#log.info({ codec }, 'recording: stream codec');
    this.#lose('codec changed');
    this.#codec = codec;
    this.#assembler = this.#newAssembler(codec);
    this.#segmenter = this.#newSegmenter(codec);
    if (this.#state === 'unsupported') this.#to('starting');
  }

  #onUnit(u: ReceivedAccessUnit): void {
    if (!this.active) return;
    // A timestamp repeated is not a new stream: ffmpeg gives the first frame it read while probing
    // the next frame's timestamp (the frame is muxed with a 1-tick duration).
    if (this.#segmenter.open && (u.timestamp < this.#lastTs || u.timestamp - this.#lastTs > MAX_FRAME_STEP)) {
      this.#lose('timestamps jumped'); // the source started over without us seeing it stop
    }
    this.#lastTs = u.timestamp;
    if (u.damaged) this.#damagedFrames++;
    const wasOpen = this.#segmenter.open !== undefined;
    if (!wasOpen && u.keyframe && this.#codec === 'h264' && this.#ingest?.status().transcoded) {
      this.#unsupported();
      return;
    }
    const cut = this.#segmenter.push(u);
    // The run's clock follows its least delayed frame so far (the anchor only ever moves earlier,
    // by less each time: consecutive segments keep durations that match their media).
    if (wasOpen && this.#anchor) this.#anchor = lessDelayed(this.#anchor, u);
    if (cut) {
      let endMs: number;
      if (cut.endTimestamp !== undefined && this.#anchor) {
        // Cut at a key frame: the next segment starts where this one ends, on the run's clock
        // (its least delayed frame: an arrival time is the capture time plus a delay that varies
        // from frame to frame; the least of them is the steadiest reference).
        endMs = Math.max(this.#wall(cut.endTimestamp), this.#openStartMs + 1);
        if (Math.abs(endMs - u.arrivedAt) > MAX_DRIFT_MS) {
          this.#log.info({ driftMs: Math.round(endMs - u.arrivedAt) }, 'recording: wall clock re-anchored');
          this.#anchor = { wall: Math.max(u.arrivedAt, this.#openStartMs + 1), ts: cut.endTimestamp };
          endMs = this.#anchor.wall;
        }
      } else {
        endMs = this.#openStartMs + Math.round(this.#durationMs(cut));
      }
      this.#closeSegment(cut, endMs);
      if (this.#segmenter.open) this.#openStartMs = endMs;
      else this.#to('source_lost'); // forced cut with no key frame: wait for one
    } else if (!wasOpen && this.#segmenter.open) {
      this.#opened(u);
    }
  }

  #wall(ts: number): number {
    const a = this.#anchor as { wall: number; ts: number };
    return Math.round(a.wall + ((ts - a.ts) * 1000) / MP4_TIMESCALE);
  }

  #durationMs(cut: CutSegment): number {
    const units = cut.units;
    const first = units[0] as ReceivedAccessUnit;
    const last = units[units.length - 1] as ReceivedAccessUnit;
    const step = units.length > 1 ? (last.timestamp - first.timestamp) / (units.length - 1) : 3600;
    return ((last.timestamp - first.timestamp + step) * 1000) / MP4_TIMESCALE;
  }

  /** A new run starts (first key frame, or the first after a hole): anchor the clock, account for the hole. */
  #opened(u: ReceivedAccessUnit): void {
    const startMs = Math.max(u.arrivedAt, this.#closedUntil ?? 0);
    this.#anchor = { wall: startMs, ts: u.timestamp };
    this.#openStartMs = startMs;
    this.#to('recording');
    this.#runGap = { pending: this.#pending };
    this.#pending = undefined;
  }

  /**
   * Writes a closed segment from the open start to `endMs`. The first segment of a run starts at
   * its first frame on the clock of its least delayed frame (never before the last segment's end);
   * the hole before it, if any, is accounted for first.
   */
  #closeSegment(cut: CutSegment, endMs: number): void {
    let startMs = this.#openStartMs;
    const run = this.#runGap;
    if (run) {
      this.#runGap = undefined;
      const first = cut.units[0];
      const anchor = this.#anchor ?? leastDelayAnchor(cut.units);
      if (first && anchor) {
        const refined = Math.round(anchor.wall + ((first.timestamp - anchor.ts) * 1000) / MP4_TIMESCALE);
        startMs = Math.min(Math.max(refined, this.#closedUntil ?? refined), startMs, endMs - 1);
      }
      const hole = this.#closedUntil !== undefined && startMs - this.#closedUntil > HOLE_TOLERANCE_MS;
      if (run.pending || hole) this.#enqueueGap(startMs, run.pending ?? { reason: 'source_lost' });
    }
    this.#closedUntil = endMs;
    this.#enqueue(() => this.#write(cut, startMs, endMs));
  }

  #enqueue(job: () => Promise<void>): void {
    this.#chain = this.#chain.then(job).catch((err: unknown) => {
      this.#log.error({ err }, 'recording: job failed');
    });
  }

  #enqueueGap(toMs: number, gap: PendingGap, fallbackFromMs?: number): void {
    this.#enqueue(async () => {
      const fromMs = this.#recordedUntil ?? fallbackFromMs;
      if (fromMs === undefined || toMs < fromMs) return;
      await this.#appendGap(fromMs, toMs, gap);
    });
  }

  async #appendGap(fromMs: number, toMs: number, gap: PendingGap): Promise<void> {
    const event: RecordingEvent = {
      kind: 'gap',
      node: this.#host.nodeId,
      cameraId: this.cameraId,
      profile: this.profile,
      fromMs,
      toMs,
      reason: gap.reason,
      ...(gap.detail ? { detail: gap.detail.slice(0, 200) } : {}),
    };
    this.#recordedUntil = toMs;
    this.#lastGap = { fromMs, toMs, reason: gap.reason, ...(gap.detail ? { detail: event.detail } : {}) };
    this.#log.info({ fromMs, toMs, reason: gap.reason }, 'recording gap');
    await this.#append(event);
  }

  async #write(cut: CutSegment, startMs: number, endMs: number): Promise<void> {
    if (!(await this.#host.admit(this))) {
      this.#failedWrites++;
      return; // storage full: this recorder (or another) was suspended; its gap says so when it resumes
    }
    const muxed = muxSegment(cut.track, cut.units, {
      ...(cut.endTimestamp !== undefined ? { endTimestamp: cut.endTimestamp } : {}),
    });
    const key = segmentKey(this.cameraId, this.profile, startMs);
    try {
      await this.#host.storage.put(key, muxed.bytes);
    } catch (err) {
      this.#failedWrites++;
      const code = (err as NodeJS.ErrnoException).code;
      this.#log.error({ err: (err as Error).message, key }, 'recording: segment not written');
      await this.#appendGap(this.#recordedUntil ?? startMs, endMs, {
        reason: 'recorder_error',
        detail: `segment not written${code ? ` (${code})` : ''}`,
      });
      return;
    }
    const sha256 = createHash('sha256').update(muxed.bytes).digest('hex');
    if (this.#recordedUntil !== undefined && startMs - this.#recordedUntil > HOLE_TOLERANCE_MS) {
      // Nothing should leave a hole unaccounted; if something did, it is still never a silent one.
      await this.#appendGap(this.#recordedUntil, startMs, {
        reason: 'recorder_error',
        detail: 'unaccounted hole',
      });
    }
    this.#recordedUntil = endMs;
    this.#segments++;
    this.#bytes += muxed.bytes.length;
    this.#frames += muxed.frames;
    this.#lastSegmentEndMs = endMs;
    await this.#append({
      kind: 'segment',
      node: this.#host.nodeId,
      cameraId: this.cameraId,
      profile: this.profile,
      startMs,
      endMs,
      durationMs: Math.round((muxed.durationTicks * 1000) / MP4_TIMESCALE),
      frames: muxed.frames,
      bytes: muxed.bytes.length,
      initBytes: muxed.initBytes,
      sha256,
      storageKey: key,
      codec: codecOf(cut.track),
      width: cut.track.width,
      height: cut.track.height,
    });
  }

  async #append(event: RecordingEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#host.events.append(event);
        return;
      } catch (err) {
        if (attempt >= EVENT_ATTEMPTS) {
          this.#log.error({ err: (err as Error).message, kind: event.kind }, 'recording event not appended');
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /** Closes the open segment (written as it is) and waits for the source to come back. */
  #lose(detail?: string): void {
    const cut = this.#segmenter.flush();
    if (cut) this.#closeSegment(cut, this.#openStartMs + Math.round(this.#durationMs(cut)));
    this.#assembler.reset();
    if (this.#state === 'recording') this.#to('source_lost');
    if (this.#closedUntil !== undefined && !this.#pending) {
      this.#pending = { reason: 'source_lost', ...(detail ? { detail } : {}) };
    }
  }

  #unsupported(): void {
    this.#segmenter.flush();
    this.#assembler.reset();
    this.#to('unsupported');
    const now = this.#host.now();
    this.#log.warn(
      'recording: the relay carries a transcode and the source stream is not tapped: not recorded',
    );
    // From the last recorded end if known, else from when this recorder started.
    this.#enqueueGap(
      now,
      { reason: 'recorder_error', detail: 'transcoded stream not recorded' },
      this.#startedAt,
    );
  }

  /** Called about every half second: notices a source that stopped delivering. */
  tick(now: number): void {
    if (this.#state !== 'recording') return;
    const silentMs = now - this.#lastPacketAt;
    const ingestState = this.#ingest?.state;
    const down = ingestState === 'offline' || ingestState === 'stalled';
    if (silentMs > 2 * this.#host.segmentMs || (down && silentMs > 1000)) {
      this.#log.warn({ silentMs, ingestState }, 'recording: source lost');
      const reason = this.#ingest?.status().reason;
      this.#lose(reason ? `ingest ${ingestState}: ${reason}` : `no media for ${Math.round(silentMs)} ms`);
    }
  }

  /** Storage ran out: drop what is open, stop writing until `resume()`. */
  suspend(reason: 'storage_full'): void {
    if (!this.active) return;
    this.#segmenter.flush();
    this.#assembler.reset();
    this.#to('storage_full');
    this.#pending = { reason };
    this.#log.warn('recording stopped: storage full');
  }

  resume(): void {
    if (this.#state !== 'storage_full') return;
    this.#to('starting');
    this.#log.info('recording resumed');
  }

  /** Changes the priority (a new plan). */
  setPriority(priority: number): void {
    this.priority = priority;
  }

  /**
   * Stops: the open segment is written as it is, pending writes finish, the ingest is let go.
   * Returns where the recording ends. Idempotent.
   */
  async stop(): Promise<number | undefined> {
    if (this.#state !== 'stopped') {
      const cut = this.active ? this.#segmenter.flush() : undefined;
      if (cut) this.#closeSegment(cut, this.#openStartMs + Math.round(this.#durationMs(cut)));
      this.#to('stopped');
      clearTimeout(this.#retry);
      this.#detach();
    }
    await this.#chain;
    return this.#recordedUntil;
  }
}
