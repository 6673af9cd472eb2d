import type {
  GbMedia,
  IngestSource,
  ingestStepsSchema,
  StreamProfile,
  StreamState,
  StreamStatus,
} from '@wall/protocol';
import type { z } from 'zod';
import type { Logger } from '../lib/logger.ts';

/** A start-up step of the stream's timeline. */
export type StartupStep = keyof StreamStatus['timeline'];

/** Signalling steps the gateway reports (GB/T 28181: INVITE sent, 200 OK + ACK). */
export type IngestSteps = z.infer<typeof ingestStepsSchema>;

/**
 * What an {@link Ingest} lends its source feed: the relay/producer path (shared by every kind of
 * source, so GOP cache, snapshots, measurements and stall detection work the same), the timeline
 * and the state.
 */
export interface FeedContext {
  readonly cameraId: string;
  readonly profile: StreamProfile;
  readonly log: Logger;
  /** SSRC and payload type of the producer: what H.264 RTP handed to the relay must carry. */
  readonly ssrc: number;
  readonly payloadType: number;
  /** The relay's RTP socket, for feeds that send from another process (ffmpeg). */
  relayAddress(): { host: string; port: number };
  /** Hands one H.264 RTP packet to the relay as if it had arrived on its socket (kept in the GOP: never reuse it). */
  ingestRtp(packet: Buffer): void;
  /**
   * For a feed that transcodes (the relay gets H.264 made from the camera's H.265): a socket for the
   * camera's own RTP, sent by the same process from the same connection. Recorders tap it instead of
   * the relay (they store the camera's bitstream, never a transcode). Bound once; same address after.
   */
  openSourceRtp(codec: 'h265'): Promise<{ host: string; port: number }>;
  /** The same for a feed that has the camera's own stream in process (GB/T 28181): one RTP packet of it. */
  ingestSourceRtp(packet: Buffer, codec: 'h265'): void;
  /** The relay carries the camera's own stream again (no transcode): the taps get the relay's packets. */
  endSourceRtp(): void;
  /** Records a start-up step; the first time only, unless `overwrite`. */
  mark(step: StartupStep, at?: number, overwrite?: boolean): void;
  /** When a step was reached, if it was. */
  stepAt(step: StartupStep): number | undefined;
  state(): StreamState;
  /** Changes the state; `reason` (a stable word) replaces the current one, none clears it. */
  setState(state: StreamState, reason?: string): void;
  /** Counts a restart of the source (the status's `restarts`). */
  restarted(): void;
  /** The feed's part of the status changed: publish it. */
  changed(): void;
  /** Asks the device for a key frame (published for the gateway, which owns the signalling). */
  requestKeyFrame(): void;
}

/** The feed's part of the stream status. */
export interface FeedStatus {
  codec?: string;
  transcoded: boolean;
  gbMedia?: GbMedia;
}

/** Gets one source's video into the relay. Owned by its {@link Ingest}; `close()` is idempotent. */
export interface SourceFeed {
  /**
   * The step the relay's first packet stands for: `first_rtp` when the relay receives the source's
   * own RTP (ffmpeg), `first_producer_packet` when the feed re-packetizes (the source's first RTP is
   * then marked by the feed).
   */
  readonly relayFirstPacket: 'first_rtp' | 'first_producer_packet';
  /** Starts receiving or pulling; what the status must show at once (a media port) is ready when it resolves. */
  start(): Promise<void>;
  /** Whether this running feed serves `source` too (it then adopts it); false: the ingest starts over. */
  adopt(source: IngestSource): boolean;
  status(): FeedStatus;
  /** A viewer started consuming the stream. */
  viewerJoined(): void;
  /** Steps the gateway reports; throws an AppError for sources that have none. */
  steps(steps: IngestSteps): void;
  /** The stream is (again) live. */
  live(): void;
  close(): void;
}

/** One kind of source: validates it before anything starts, then makes its feed. */
export interface SourceAdapter<S extends IngestSource> {
  /** Throws an AppError when the source cannot be ingested. */
  check(source: S): void;
  create(source: S, ctx: FeedContext): SourceFeed;
}

/** Source adapters by kind: every kind of the ensure-ingest contract has one (no central switch). */
export type SourceRegistry = {
  [K in IngestSource['kind']]: SourceAdapter<Extract<IngestSource, { kind: K }>>;
};

/** The adapter of a source's kind. */
export function adapterOf(registry: SourceRegistry, source: IngestSource): SourceAdapter<IngestSource> {
  // A mapped type indexed by a union key loses the kind ↔ source correlation; the registry's type
  // guarantees it.
  return registry[source.kind] as SourceAdapter<IngestSource>;
}
