/**
 * The camera map (issue 5 §2): map, search, preview, and the data they share.
 *
 * Usage: a server component gets `mapSettings(lang)` from `components/map/server` and renders the
 * client part inside `<MapProvider settings={…}>`; there, `useCameraMapData()` loads the cameras
 * and `<CameraMap data={…} />` / `<CameraSearch data={…} onSelect={…} />` draw them.
 */
export type { GatewayError, LiveGrant } from './api';
export {
  cameraAt,
  cameraLabel,
  districtName,
  findCamera,
  GRADE_COLORS,
  gradeLabel,
  INCIDENT_COLORS,
  LEVEL_NUMERALS,
  lifecycleLabel,
  STATUS_COLORS,
  statusLabel,
} from './camera';
export {
  CameraMap,
  type CameraMapProps,
} from './camera-map';
export { CameraPreview, type CameraPreviewProps } from './camera-preview';
export { CameraSearch, type CameraSearchProps } from './camera-search';
export { MapProvider, useMapClient, useMapSettings } from './context';
export { CAMERA_DRAG_TYPE, startCameraDrag } from './drag';
export { circleRing } from './features';
export { denialText, type MapMessages, mapMessages } from './strings';
export type {
  CameraFilters,
  CameraMapData,
  MapCamera,
  MapSettings,
  MapStatus,
  MapStyleSetting,
} from './types';
export { type CameraMapDataState, useCameraMapData } from './use-camera-map-data';
