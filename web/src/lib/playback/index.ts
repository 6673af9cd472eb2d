/**
 * Playback of recordings in the browser (issue 13): the `PlaybackPlayer` (hls.js over MSE, loaded
 * lazily) — a window of a camera's recordings around a wall-clock time, media time ↔ wall clock
 * through the playlist's program date times (`TimeMap`), the presented frame's wall-clock time,
 * speeds, token renewal, damaged ranges — its React face (`usePlaybackPlayer`) and the timeline's
 * zoom maths. Used by the camera playback page and by wall playback.
 */
export {
  answeredError,
  errorBody,
  isRefusal,
  type PlaybackClientCode,
  PlaybackError,
  type PlaybackErrorCode,
} from './errors';
export {
  HLS_EVENTS,
  type HlsErrorLike,
  type HlsFactory,
  type HlsLike,
  INITIAL_PLAYBACK_VIEW,
  type LevelLoadedLike,
  loadHls,
  PLAYBACK_SPEEDS,
  type PlaybackGrantRequest,
  type PlaybackGrantSource,
  PlaybackPlayer,
  type PlaybackPlayerOptions,
  type PlaybackSpeed,
  type PlaybackState,
  type PlaybackView,
} from './player';
export { type Span, type TimedFragment, TimeMap, type WallPosition } from './time-map';
export { type UsePlaybackPlayerOptions, usePlaybackPlayer } from './use-playback-player';
export {
  clampView,
  MAX_SPAN,
  MIN_SPAN,
  panBy,
  stepSpan,
  type TimeView,
  ticks,
  timeToX,
  wheelSpan,
  xToTime,
  ZOOM_SPANS,
  zoomTo,
} from './zoom';
