/** The playback view of one camera (timeline, player, shortcuts) and its strings. */
export { PlaybackView, type PlaybackViewProps } from './playback-view';
export {
  formatWall,
  type PlaybackMessages,
  playbackStrings,
  refusalText,
  spanText,
  tickLabel,
} from './strings';
export { Timeline, type TimelineProps } from './timeline';
