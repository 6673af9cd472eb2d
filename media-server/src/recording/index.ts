export { AccessUnitAssembler } from './access-units.ts';
export { RECORDING_STREAM_MAXLEN, RecordingEventLog, type RecordingEventSink } from './events.ts';
export { type AccessUnit, type AvcTrack, muxSegment } from './fmp4.ts';
export {
  CameraRecorder,
  type RecordableIngest,
  type RecorderHost,
  type RecorderIngests,
  type RecorderState,
  type RecorderStatus,
  segmentKey,
} from './recorder.ts';
export {
  type NodeRecordingPlanEntry,
  nodeRecordingPlanEntrySchema,
  Recordings,
  type RecordingsOptions,
  recordingPlanRequestSchema,
} from './recordings.ts';
export { Segmenter } from './segmenter.ts';
export { bytesUnder, CappedStorage, FsStorage, type RecordingStorage, type StorageSpace } from './storage.ts';
