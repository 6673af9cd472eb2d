export { AccessUnitAssembler } from './access-units.ts';
export { RECORDING_STREAM_MAXLEN, RecordingEventLog, type RecordingEventSink } from './events.ts';
export {
  type AccessUnit,
  type AvcTrack,
  type HevcTrack,
  muxSegment,
  readBoxes,
  type VideoTrack,
} from './fmp4.ts';
export {
  CameraRecorder,
  cameraKeyPart,
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
export {
  bytesUnder,
  CappedStorage,
  FsStorage,
  type RecordingStorage,
  type StorageSpace,
  type StoredSegment,
} from './storage.ts';
