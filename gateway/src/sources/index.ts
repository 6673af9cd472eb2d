export { gb28181Source } from './gb28181/index.ts';
export { onvifSource } from './onvif/index.ts';
export { SourceRegistry } from './registry.ts';
export { catalogSummarySchema, registerSourceKindRoutes, type SourceKindRoutesDeps } from './routes.ts';
export { rtspPull, rtspSource } from './rtsp/index.ts';
export type {
  CatalogSync,
  PlannedRecording,
  PtzFailure,
  PtzPlan,
  SourceActor,
  SourceAdapter,
  StreamPlan,
} from './types.ts';
export { pulledStreamUrl, streamUrlOf, type UrlPullOptions, urlPullSource } from './url-pull.ts';
