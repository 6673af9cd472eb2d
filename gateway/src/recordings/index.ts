export {
  alarmsOf,
  bytesPerDay,
  type CameraUsage,
  diffAlarms,
  forecastVolume,
  reportOf,
} from './capacity.ts';
export {
  CAPACITY_STATE_KEY,
  CapacityMonitor,
  type CapacityMonitorOptions,
  capacityHealth,
} from './capacity-monitor.ts';
export { mayReadCapacity, registerCapacityRoutes } from './capacity-routes.ts';
export {
  decodeRecordingEvent,
  RECORDING_INDEX_GROUP,
  RecordingIndexWriter,
  type RecordingIndexWriterOptions,
} from './index-writer.ts';
export {
  plannedCameraIds,
  type RecordingPlanMode,
  RecordingPlanner,
  type RecordingPlannerOptions,
} from './planner.ts';
export { PlaybackService, type PlaybackServiceDeps } from './playback.ts';
export { registerPlaybackRoutes } from './playback-routes.ts';
export { buildPlaylist, type PlaylistInput, type PlaylistSegment, substitutePlaylist } from './playlist.ts';
export { type DeletedSegment, type IndexOutcome, insertGap, insertSegment } from './repository.ts';
export { registerRecordingRoutes } from './routes.ts';
export {
  APPROVER_ROLE,
  mayHold,
  type RecordingActor,
  RecordingService,
  type RecordingServiceDeps,
} from './service.ts';
export { fileStorage, type RecordingStorage, type StoredFile } from './storage.ts';
export {
  RetentionSweeper,
  type RetentionSweeperOptions,
  type SweepResult,
  type SweptChain,
} from './sweeper.ts';
export {
  type ChainResult,
  type RecordingVerifyReport,
  type VerifyRecordingsOptions,
  verifyRecordings,
} from './verify.ts';
export {
  ChainChecker,
  type ChainCheckOptions,
  type ChainGap,
  type ChainProblem,
  type ChainReport,
  type ChainSegment,
  type FileState,
  PROBLEM_KINDS,
  type ProblemKind,
} from './verify-core.ts';
