import { z } from 'zod';
import { streamProfileSchema } from './domain.ts';

// ——— Playback of recordings over HLS (R-REC-1, R-RET-1, R-RET-3) ———
//
// 1. The browser asks the gateway `POST /api/cameras/:id/playback` {profile, from, to}. The gateway
//    decides policy `playback:view` for that range, audits it (camera and range), and answers a
//    playback token (a stream token with `rng`, ≤ 60 s) and the URL of an HLS VOD playlist.
// 2. `GET /api/playback/playlist.m3u8?token=` (gateway; the token is the credential): a VOD playlist
//    built from the index — fMP4, `EXT-X-MAP` per run of segments with the same codec and size,
//    `EXT-X-PROGRAM-DATE-TIME` on the first segment and after every discontinuity,
//    `EXT-X-DISCONTINUITY` at each gap, `EXT-X-ENDLIST`. Segment URLs point at the media node that
//    holds the files: `PLAYBACK_INIT_PATH/<storageKey>?token=` and
//    `PLAYBACK_MEDIA_PATH/<storageKey>?off=<ms>&sha=<hex>&token=`.
// 3. The media node serves them only with a valid playback token for that camera and profile whose
//    range covers the segment. `off` is the segment's start on the playlist's media timeline (the
//    sum of the EXTINF durations before it, ms): the node rewrites each fragment's `tfdt` by it, so
//    the segments, each recorded from decode time 0, play as one timeline. `sha` is the index's
//    SHA-256 of the file: a file that no longer has it is answered 409 recording:damaged (never
//    played as something else), a missing one 404 recording:missing. H.265 files are transcoded
//    to H.264 on demand (the answer of step 1 says `transcoded`).
// 4. The page renews the token before it expires (`refresh: true`: decided and audited again) and
//    puts the newest one on every segment request.

/** The longest range one playback request (one playlist) covers. */
export const MAX_PLAYBACK_HOURS = 24;
/** Node routes: the `ftyp`+`moov` of a segment file, and its media part (`moof`+`mdat`…). */
export const PLAYBACK_INIT_PATH = '/playback/init';
export const PLAYBACK_MEDIA_PATH = '/playback/media';
/** Gateway route of the playlist. */
export const PLAYBACK_PLAYLIST_PATH = '/api/playback/playlist.m3u8';

const isoTime = z.iso.datetime({ offset: true });

/** `POST /api/cameras/:id/playback`: to > from, at most MAX_PLAYBACK_HOURS (else invalid:range). */
export const playbackRequestSchema = z
  .object({
    profile: streamProfileSchema.default('main'),
    from: isoTime,
    to: isoTime,
    /** A page renewing the token of a playback it shows: decided and audited again, not a new use. */
    refresh: z.boolean().optional(),
  })
  .strict();
export type PlaybackRequest = z.input<typeof playbackRequestSchema>;

export const playbackAnswerSchema = z.object({
  /** The playlist (gateway-relative URL carrying the token). */
  playlistUrl: z.string(),
  /** The playback token (EdDSA JWT, ≤ 60 s) segment requests carry as `?token=`. */
  token: z.string(),
  /** The media node serving the segments. */
  nodeUrl: z.string(),
  expiresAt: z.iso.datetime(),
  /** Allowed under a major incident's grant (R-RET-3), not a standing right. */
  emergency: z.boolean(),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  /** The codec recorded in the range; null when nothing is recorded there. */
  codec: z.enum(['h264', 'h265']).nullable(),
  /** True when the node transcodes the recording (H.265) to H.264 for the browser. */
  transcoded: z.boolean(),
  /** Recorded segments in the playlist. */
  segments: z.number().int(),
});
export type PlaybackAnswer = z.infer<typeof playbackAnswerSchema>;

/** `GET /api/playback/playlist.m3u8?token=`. */
export const playlistQuerySchema = z.object({ token: z.string().min(1).max(4096) }).strict();

/** Node: `GET PLAYBACK_MEDIA_PATH/<storageKey>?token=&off=&sha=`. */
export const playbackMediaQuerySchema = z
  .object({
    token: z.string().min(1).max(4096),
    /** The segment's start on the playlist's media timeline, ms. */
    off: z.coerce.number().int().min(0).max(MAX_PLAYBACK_HOURS * 3_600_000 * 2),
    /** The index's SHA-256 of the file. */
    sha: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
/** Node: `GET PLAYBACK_INIT_PATH/<storageKey>?token=`. */
export const playbackInitQuerySchema = z.object({ token: z.string().min(1).max(4096) }).strict();
