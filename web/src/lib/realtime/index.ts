export { RealtimeClient, type RealtimeClientOptions, type RealtimeConnection } from './client';
export { RealtimeProvider, useRealtime, useRealtimeConnection } from './provider';
export {
  type ClockOffset,
  type ClockSample,
  clockOffset,
  type ServerClock,
  useServerClock,
} from './server-clock';
export { acquireRealtime } from './shared';
export { cameraStates, retainWatch, statusKey, useCameraStatus } from './use-camera-status';
export { applyIncidentEvent, useIncidents } from './use-incidents';
export { type SendOptions, useWall, type WallCommandInput, type WallHandle } from './use-wall';
