import type { IngestSource, MediaNodeInfo, PtzCommandName, SourceKind, StreamProfile } from '@wall/protocol';
import type { CameraRecord } from '../cameras/facts.ts';

/** Who asked for a source operation, as its audit entries name them. */
export interface SourceActor {
  actorId: string;
  actorName: string;
  address: string;
}

/** A camera profile the recording plan put on a media node. */
export interface PlannedRecording {
  camera: CameraRecord;
  profile: StreamProfile;
  node: MediaNodeInfo;
  controlSecret: string;
}

/** A live stream prepared for one camera profile (read-only so far: nothing is started). */
export interface StreamPlan {
  /**
   * Makes the media node ingest the profile — a URL it pulls, or the device asked to send to it —
   * and resolves once it does. Throws AppError (`unavailable:dependency`, …).
   */
  ensure(node: MediaNodeInfo, controlSecret: string): Promise<void>;
}

/** Why a PTZ command did not reach the camera: `reason` goes to the audit log, `message` to the caller. */
export interface PtzFailure {
  ok: false;
  reason: string;
  message: string;
  cause?: unknown;
}

/** A PTZ command in the source's own terms, not sent yet. */
export interface PtzPlan {
  /** What the allow's audit entry records of the command (e.g. the GB PTZCmd). */
  detail: Record<string, unknown>;
  send(camera: CameraRecord): Promise<{ ok: true; sent: string } | PtzFailure>;
}

/** A source kind's catalogue: the cameras its system offers, filed into the registry on request. */
export interface CatalogSync {
  /**
   * Synchronises now. Throws AppError: `conflict:state` (the source cannot be asked, e.g. its device
   * is offline or its settings are not this kind's), `unavailable:dependency` (the kind is disabled).
   */
  sync(source: { id: string; connection: unknown }, actor: SourceActor): Promise<unknown>;
}

/**
 * One kind of source system (`rtsp`, `onvif`, `gb28181`): how its cameras' streams reach a media
 * node, and what else it offers. Kinds register in the {@link SourceRegistry}; callers dispatch by
 * a camera's or source's kind, never by comparing kind names.
 */
export interface SourceAdapter {
  readonly kind: SourceKind;
  /**
   * Prepares a live stream, read-only (before a token is issued). Throws AppError:
   * `not_found:camera` (no such profile), `unavailable:dependency` (credentials cannot be opened,
   * or the kind is not enabled on this gateway).
   */
  stream(camera: CameraRecord, profile: StreamProfile): StreamPlan;
  /**
   * What a media node ingests to record the profile continuously (a URL it pulls; a GB channel's
   * media port and SSRC), or undefined when the camera has no such profile or the kind is not
   * enabled. Absent: the kind is not recorded by plan. Opens sealed credentials: give the answer
   * only to a media node.
   */
  recordingSource?(camera: CameraRecord, profile: StreamProfile): IngestSource | undefined;
  /**
   * Kinds whose streams need the gateway to keep them flowing (a GB device is INVITEd): after each
   * plan pass it gets this kind's whole planned set. Absent: the node ingests on its own.
   */
  readonly recordingSessions?: { keep(planned: readonly PlannedRecording[]): void };
  /** Absent when the kind cannot steer cameras (422 ptz:unsupported). */
  readonly ptz?: { plan(command: PtzCommandName, speed: number): PtzPlan };
  /** Absent when the kind has no catalogue to query (409 conflict:state). */
  readonly catalog?: CatalogSync;
}
