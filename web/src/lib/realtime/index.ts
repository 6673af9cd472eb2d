export { RealtimeClient, type RealtimeClientOptions, type RealtimeConnection } from './client';
export { RealtimeProvider, useRealtime, useRealtimeConnection } from './provider';
export { acquireRealtime } from './shared';
export { statusKey, useCameraStatus } from './use-camera-status';
export { type SendOptions, useWall, type WallCommandInput, type WallHandle } from './use-wall';
