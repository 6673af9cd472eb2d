import type { PtzCommandName } from '@wall/protocol';
import * as gb from '@wall/protocol/gb28181';

/** The PTZCmd of an API command (GB/T 28181 A.3: pan/tilt speed bytes, zoom speed nibble). */
export function ptzCommand(command: PtzCommandName, speed = 128): gb.PtzCommand {
  const zoomSpeed = Math.max(1, Math.min(15, Math.round(speed / 17)));
  const base = {
    kind: 'ptz' as const,
    pan: null,
    tilt: null,
    zoom: null,
    panSpeed: 0,
    tiltSpeed: 0,
    zoomSpeed: 0,
  };
  switch (command) {
    case 'left':
    case 'right':
      return { ...base, pan: command, panSpeed: speed };
    case 'up':
    case 'down':
      return { ...base, tilt: command, tiltSpeed: speed };
    case 'zoom_in':
      return { ...base, zoom: 'in', zoomSpeed };
    case 'zoom_out':
      return { ...base, zoom: 'out', zoomSpeed };
    case 'stop':
      return gb.PTZ_STOP;
  }
}
