import { createHash } from 'node:crypto';
import {
  PLAYBACK_INIT_PATH,
  PLAYBACK_MEDIA_PATH,
  playbackInitQuerySchema,
  playbackMediaQuerySchema,
  requestErrorCode,
  storageKeySchema,
} from '@wall/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/app-error.ts';
import { cameraKeyPart, type RecordingStorage, type StoredSegment } from '../recording/index.ts';
import type { PlaybackClaims } from '../tokens/index.ts';
import { parseByteRange } from './byte-range.ts';
import { Fmp4Error, isHevc, shiftDecodeTimes, splitSegment, trackInfo } from './fmp4-rewrite.ts';
import type { SegmentTranscoder } from './transcoder.ts';

export interface PlaybackRouteDeps {
  storage: RecordingStorage;
  /** Verifies a token and refuses one without `rng` (token:scope). */
  verifyToken: (token: string | undefined) => PlaybackClaims;
  /** Browser origins whose requests get CORS headers (MEDIA_WEB_ORIGINS); never a wildcard. */
  origins: readonly string[];
  /** H.265 → H.264; without one an H.265 recording is answered 422 recording:codec. */
  transcoder?: SegmentTranscoder | undefined;
  /** Verified files remembered (key, size, modification time), so seeks do not hash again. */
  verifiedCacheSize?: number;
}

/** A segment may start this long before the token's range (the one that covers its start). */
const RANGE_SLACK_MS = 60_000;
const KEY_PARTS = /^([^/]+)\/(main|sub)\/\d{4}-\d{2}-\d{2}\/(\d{1,15})\.mp4$/;

/** The recent files whose SHA-256 matched the index: key → `size:mtime:sha`, oldest first. */
class VerifiedFiles {
  readonly #max: number;
  readonly #map = new Map<string, string>();

  constructor(max: number) {
    this.#max = max;
  }

  has(key: string, version: string): boolean {
    const v = this.#map.get(key);
    if (v !== version) return false;
    this.#map.delete(key); // most recently used last
    this.#map.set(key, v);
    return true;
  }

  add(key: string, version: string): void {
    this.#map.delete(key);
    this.#map.set(key, version);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as string);
  }
}

/**
 * The media node's playback routes (protocol/src/playback.ts): `GET PLAYBACK_INIT_PATH/<key>` (the
 * segment's `ftyp`+`moov`) and `GET PLAYBACK_MEDIA_PATH/<key>?off=&sha=` (its fragments, decode
 * times shifted by `off`), each with a playback token for that camera and profile whose range
 * covers the segment's start. H.265 segments go through the transcoder. One byte range per request.
 */
export function registerPlaybackRoutes(app: FastifyInstance, deps: PlaybackRouteDeps): void {
  const verified = new VerifiedFiles(deps.verifiedCacheSize ?? 512);
  const allowed = new Set(deps.origins);

  const cors = (req: FastifyRequest, reply: FastifyReply) => {
    void reply.header('vary', 'Origin');
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      void reply
        .header('access-control-allow-origin', origin)
        .header('access-control-expose-headers', 'Content-Range, Content-Length, Accept-Ranges');
    }
  };

  /** Token, key and range checks; then the stored file, or 404 recording:missing. */
  const load = async (req: FastifyRequest, token: string): Promise<{ key: string; file: StoredSegment }> => {
    const key = storageKeySchema.safeParse((req.params as { '*'?: string })['*'] ?? '');
    const parts = key.success ? KEY_PARTS.exec(key.data) : null;
    if (!key.success || !parts) throw new AppError('invalid:request', 'not a segment storage key');
    const claims = deps.verifyToken(token);
    if (cameraKeyPart(claims.cam) !== parts[1])
      throw new AppError('token:camera', 'the stream token is for another camera');
    if (claims.prof !== parts[2])
      throw new AppError('token:profile', 'the stream token is for another profile');
    const startMs = Number(parts[3]);
    if (startMs < claims.rng[0] - RANGE_SLACK_MS || startMs >= claims.rng[1]) {
      throw new AppError('token:scope', 'the segment is outside the playback token’s range');
    }
    const file = await deps.storage.read(key.data);
    if (!file) throw new AppError('recording:missing', 'the recording is not on this node');
    return { key: key.data, file };
  };

  /** The init and media parts as played: the file's own, or the transcoder's for H.265. */
  const playable = async (key: string, bytes: Buffer) => {
    const own = splitSegment(bytes);
    const info = trackInfo(own.init);
    if (!isHevc(info.sampleEntry)) return { ...own, info };
    if (!deps.transcoder) {
      throw new AppError('recording:codec', 'this node cannot transcode the H.265 recording for playback');
    }
    const t = await deps.transcoder.transcode(bytes, key);
    return { init: t.init, media: t.media, info: trackInfo(t.init) };
  };

  const send = (req: FastifyRequest, reply: FastifyReply, body: Buffer) => {
    void reply
      .header('content-type', 'video/mp4')
      .header('cache-control', 'private, no-store')
      .header('accept-ranges', 'bytes');
    const range = parseByteRange(req.headers.range, body.length);
    if (range === 'unsatisfiable') {
      return reply.code(416).header('content-range', `bytes */${body.length}`).send();
    }
    if (!range) return reply.send(body);
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${body.length}`)
      .send(body.subarray(range.start, range.end + 1));
  };

  const damaged = (err: unknown): never => {
    if (err instanceof Fmp4Error) throw new AppError('recording:damaged', 'the recording cannot be read');
    throw err;
  };

  app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => cors(req, reply));
    for (const path of [PLAYBACK_INIT_PATH, PLAYBACK_MEDIA_PATH]) {
      scope.options(`${path}/*`, async (_req, reply) =>
        reply
          .code(204)
          .header('access-control-allow-methods', 'GET, OPTIONS')
          .header('access-control-allow-headers', 'Range')
          .header('access-control-max-age', '600')
          .send(),
      );
    }

    scope.get(`${PLAYBACK_INIT_PATH}/*`, async (req, reply) => {
      const q = playbackInitQuerySchema.safeParse(req.query);
      if (!q.success) throw new AppError(requestErrorCode(q.error), 'bad query');
      const { key, file } = await load(req, q.data.token);
      const { init } = await playable(key, file.bytes).catch(damaged);
      return send(req, reply, init);
    });

    scope.get(`${PLAYBACK_MEDIA_PATH}/*`, async (req, reply) => {
      const q = playbackMediaQuerySchema.safeParse(req.query);
      if (!q.success) throw new AppError(requestErrorCode(q.error), 'bad query');
      const { key, file } = await load(req, q.data.token);
      // The file must still be what the index fingerprinted: never play something else as evidence.
      const version = `${file.size}:${file.mtimeMs}:${q.data.sha}`;
      if (!verified.has(key, version)) {
        if (createHash('sha256').update(file.bytes).digest('hex') !== q.data.sha) {
          throw new AppError('recording:damaged', 'the recording no longer matches its fingerprint');
        }
        verified.add(key, version);
      }
      const { media, info } = await playable(key, file.bytes).catch(damaged);
      const shifted = (() => {
        try {
          return shiftDecodeTimes(media, info.timescales, q.data.off);
        } catch (err) {
          return damaged(err);
        }
      })();
      return send(req, reply, shifted);
    });
  });
}
