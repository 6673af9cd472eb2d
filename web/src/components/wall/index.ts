/**
 * The video wall (issue 5 §3–5): the console (/walls/:id), the display (/walls/:id/display), their
 * tiles and the providers a wall page needs. Strings in `strings.ts` (zh default, en).
 */
export { CameraInfoProvider, useCameraInfo } from './camera-info';
export { WallConsole } from './console';
export { WallConsoleRoot } from './console-root';
export { WallDisplay } from './display';
export { WallGrid, type WallGridProps } from './grid';
export {
  gridArea,
  LARGE_TILE_PX,
  LAYOUT_KEYS,
  MAIN_AREA_SHARE,
  neighbour,
  tileProfile,
  tourPosition,
} from './layout-math';
export { WallPageProviders } from './providers';
export { reasonText, TIER_NAMES, type WallStrings, wallStrings } from './strings';
export { TILE_DRAG_TYPE, type WallTileProps, WallTileView } from './tile';
