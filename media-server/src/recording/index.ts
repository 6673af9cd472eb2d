export { RECORDING_STREAM_MAXLEN, RecordingEventLog, type RecordingEventSink } from './events.ts';
export { type AccessUnit, type AvcTrack, muxSegment } from './fmp4.ts';
export type { RecorderState, RecorderStatus } from './recorder.ts';
export {
  type NodeRecordingPlanEntry,
  nodeRecordingPlanEntrySchema,
  Recordings,
  type RecordingsOptions,
  recordingPlanRequestSchema,
} from './recordings.ts';
export { FsStorage, type RecordingStorage, type StorageSpace } from './storage.ts';
