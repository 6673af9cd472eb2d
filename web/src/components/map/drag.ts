/** HTML5 drag-and-drop type carrying a camera id (search results, the preview's handle → wall tiles). */
export const CAMERA_DRAG_TYPE = 'application/x-wall-camera';

/** Puts a camera on a drag (its id as {@link CAMERA_DRAG_TYPE}, and as text for other targets). */
export function startCameraDrag(e: { dataTransfer: DataTransfer }, cameraId: string): void {
  e.dataTransfer.setData(CAMERA_DRAG_TYPE, cameraId);
  e.dataTransfer.setData('text/plain', cameraId);
  e.dataTransfer.effectAllowed = 'copy';
}
