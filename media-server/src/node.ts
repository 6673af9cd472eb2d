import type { MediaNodeInfo } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { gbMediaAddress, type MediaConfig } from './config.ts';
import { defaultSources, IngestManager } from './ingest/index.ts';
import type { Logger } from './lib/logger.ts';
import { createSegmentTranscoder, type SegmentTranscoder } from './playback/index.ts';
import {
  CappedStorage,
  FsStorage,
  RecordingEventLog,
  type RecordingStorage,
  Recordings,
} from './recording/index.ts';
import { NodeRegistry } from './registry/index.ts';
import { listenForRevocations, Signalling } from './signalling/index.ts';
import { requireScope, verifyStreamToken } from './tokens/index.ts';
import { WorkerPool } from './workers/pool.ts';

export interface MediaNode {
  app: FastifyInstance;
  pool: WorkerPool;
  ingests: IngestManager;
  signalling: Signalling;
  registry: NodeRegistry;
  recordings: Recordings;
  info(): MediaNodeInfo;
  close(): Promise<void>;
}

export interface MediaNodeDeps {
  /** Where segments are written (default: files under RECORDING_DIR). */
  recordingStorage?: RecordingStorage;
  /** H.265 recordings → H.264 for playback (default: ffmpeg, `PLAYBACK_TRANSCODE_*`). */
  transcoder?: SegmentTranscoder;
}

/**
 * Wires a media node: worker pool, ingests, HTTP (health, control, snapshots), viewer signalling,
 * Redis registry. Not listening yet: `node.app.listen()` starts it. `close()` closes children first.
 */
export async function createMediaNode(
  config: MediaConfig,
  redis: Redis,
  logger: Logger,
  deps: MediaNodeDeps = {},
): Promise<MediaNode> {
  const pool = await WorkerPool.create({
    size: config.MEDIASOUP_WORKERS,
    rtcMinPort: config.RTC_MIN_PORT,
    rtcMaxPort: config.RTC_MAX_PORT,
    webRtc: {
      listenIp: config.WEBRTC_LISTEN_IP,
      announcedIp: config.WEBRTC_ANNOUNCED_IP,
      basePort: config.WEBRTC_PORT,
    },
    logger: logger.child({ feature: 'workers' }),
  });
  const ingests = new IngestManager({
    pool,
    logger: logger.child({ feature: 'ingest' }),
    nodeId: config.MEDIA_NODE_ID,
    idleTimeoutMs: config.INGEST_IDLE_TIMEOUT_MS,
    sources: defaultSources({
      gb: {
        ...gbMediaAddress(config),
        portMin: config.MEDIA_GB_PORT_MIN,
        portMax: config.MEDIA_GB_PORT_MAX,
        noMediaTimeoutMs: config.MEDIA_GB_NO_MEDIA_TIMEOUT_MS,
      },
    }),
  });
  let registry: NodeRegistry | undefined;
  const fsStorage = new FsStorage(config.RECORDING_DIR);
  const storage =
    deps.recordingStorage ??
    (config.RECORDING_CAPACITY_BYTES > 0
      ? new CappedStorage(fsStorage, config.RECORDING_CAPACITY_BYTES)
      : fsStorage);
  const recordings = new Recordings({
    nodeId: config.MEDIA_NODE_ID,
    segmentMs: config.RECORDING_SEGMENT_S * 1000,
    minFreeBytes: config.RECORDING_MIN_FREE_BYTES,
    ingests,
    storage,
    events: new RecordingEventLog(redis),
    logger: logger.child({ feature: 'recording' }),
    // A stop (or resume) for lack of space is told to the gateways now, not at the next heartbeat.
    onStopsChanged: () => registry?.beat(),
  });
  const tokenOptions = { publicKey: config.MEDIA_TOKEN_PUBLIC_KEY, nodeId: config.MEDIA_NODE_ID };
  // Live routes (signalling, snapshots) refuse playback tokens; the playback routes live tokens.
  const verifyToken = (token: string | undefined) =>
    requireScope(verifyStreamToken(token, tokenOptions), 'live');
  const verifyPlaybackToken = (token: string | undefined) =>
    requireScope(verifyStreamToken(token, tokenOptions), 'playback');
  let signalling: Signalling | undefined;
  const info = (): MediaNodeInfo => {
    const streams = ingests.list().length;
    const consumers = signalling?.consumerCount() ?? 0;
    const volume = recordings.volume();
    return {
      id: config.MEDIA_NODE_ID,
      publicUrl: config.MEDIA_PUBLIC_URL,
      controlUrl: `http://${config.MEDIA_HOST}:${config.MEDIA_PORT}`,
      workers: pool.slots.length,
      streams,
      consumers,
      load: Math.min(1, (streams + consumers / 50) / (Math.max(1, pool.size) * 25)),
      heartbeatAt: Date.now(),
      ...(volume ? { recording: volume } : {}),
    };
  };
  const ownTranscoder = deps.transcoder
    ? undefined
    : createSegmentTranscoder(config, logger.child({ feature: 'transcode' }));
  const app = await buildApp({
    config,
    pool,
    redis,
    logger,
    ingests,
    verifyToken,
    nodeInfo: info,
    recordings,
    playback: { storage, verifyToken: verifyPlaybackToken, transcoder: deps.transcoder ?? ownTranscoder },
  });
  signalling = new Signalling({
    httpServer: app.server,
    pool,
    ingests,
    verifyToken,
    origins: config.MEDIA_WEB_ORIGINS,
    logger,
  });
  registry = new NodeRegistry(redis, info, logger.child({ feature: 'registry' }));
  const revocations = listenForRevocations(redis, signalling, logger.child({ feature: 'revocations' }));
  ingests.on('status', (s) => registry.publishStatus(s));
  ingests.on('ingest:closed', (i) => registry.streamStopped(i.status()));
  ingests.on('keyframe:request', (i) =>
    registry.requestKeyFrame({ cameraId: i.cameraId, profile: i.profile, node: config.MEDIA_NODE_ID }),
  );
  let closed = false;
  const sig = signalling;
  const reg = registry;
  return {
    app,
    pool,
    ingests,
    signalling: sig,
    registry: reg,
    recordings,
    info,
    async close() {
      if (closed) return;
      closed = true;
      await recordings.close(); // open segments are written before the ingests stop
      revocations.close();
      await sig.close();
      await app.close();
      ownTranscoder?.close();
      ingests.close();
      await reg.stop();
      pool.close();
    },
  };
}
