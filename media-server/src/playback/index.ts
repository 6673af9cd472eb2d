export { type ByteRange, parseByteRange } from './byte-range.ts';
export {
  Fmp4Error,
  isHevc,
  shiftDecodeTimes,
  splitSegment,
  type TrackInfo,
  trackInfo,
} from './fmp4-rewrite.ts';
export { type PlaybackRouteDeps, registerPlaybackRoutes } from './routes.ts';
export {
  createSegmentTranscoder,
  FfmpegSegmentTranscoder,
  type TranscodePreset,
} from './transcode-ffmpeg.ts';
export type { SegmentTranscoder } from './transcoder.ts';
