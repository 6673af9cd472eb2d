import { fromHex, toHex } from './bytes.ts';
import { fail, type GbResult, ok } from './result.ts';

/**
 * The 8-byte front-end device control command of GB/T 28181 appendix A (`<PTZCmd>` as 16 hex digits):
 *
 * | byte | content |
 * |---|---|
 * | 1 | `A5` |
 * | 2 | combination code 1: version (high nibble, 0) and check nibble (low) = (0xA + 0x5 + version) mod 16 → `0F` |
 * | 3 | address, low 8 bits |
 * | 4 | instruction |
 * | 5 | data 1 (PTZ: pan speed; FI: focus speed) |
 * | 6 | data 2 (PTZ: tilt speed; FI: iris speed; preset: preset number) |
 * | 7 | combination code 2: data 3 (high nibble; PTZ: zoom speed) and address high 4 bits (low nibble) |
 * | 8 | checksum = sum of bytes 1–7 mod 256 |
 *
 * PTZ instruction bits: 0x01 right, 0x02 left, 0x04 down, 0x08 up, 0x10 zoom in (tele), 0x20 zoom out
 * (wide); high two bits 00. FI: 0x40 | 0x01 focus far, 0x02 focus near, 0x04 iris open, 0x08 iris close.
 * Presets: 0x81 set, 0x82 call, 0x83 delete.
 */

export type PtzCommand =
  | {
      kind: 'ptz';
      pan: 'left' | 'right' | null;
      tilt: 'up' | 'down' | null;
      zoom: 'in' | 'out' | null;
      /** 0–255 */
      panSpeed: number;
      /** 0–255 */
      tiltSpeed: number;
      /** 0–15 */
      zoomSpeed: number;
    }
  | {
      kind: 'fi';
      focus: 'near' | 'far' | null;
      iris: 'open' | 'close' | null;
      /** 0–255 */
      focusSpeed: number;
      /** 0–255 */
      irisSpeed: number;
    }
  | { kind: 'preset'; action: 'set' | 'call' | 'delete'; preset: number }
  /** Any other instruction (cruise, scan, auxiliary switches), bytes as they are. */
  | { kind: 'other'; instruction: number; data1: number; data2: number; data3: number };

export interface PtzFrame {
  command: PtzCommand;
  /** Device address, 0–4095 (usually 1 or 0). */
  address: number;
}

/** A PTZ stop command (all movement bits clear). */
export const PTZ_STOP: PtzCommand = {
  kind: 'ptz',
  pan: null,
  tilt: null,
  zoom: null,
  panSpeed: 0,
  tiltSpeed: 0,
  zoomSpeed: 0,
};

const byte = (n: number) => Math.max(0, Math.min(255, Math.trunc(n) || 0));
const nibble = (n: number) => Math.max(0, Math.min(15, Math.trunc(n) || 0));

/** The 8 bytes of a command (numbers are clamped to their field's range). */
export function encodePtzBytes(command: PtzCommand, address = 1): Uint8Array {
  let instruction: number;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  switch (command.kind) {
    case 'ptz':
      instruction =
        (command.pan === 'right' ? 0x01 : command.pan === 'left' ? 0x02 : 0) |
        (command.tilt === 'down' ? 0x04 : command.tilt === 'up' ? 0x08 : 0) |
        (command.zoom === 'in' ? 0x10 : command.zoom === 'out' ? 0x20 : 0);
      d1 = byte(command.panSpeed);
      d2 = byte(command.tiltSpeed);
      d3 = nibble(command.zoomSpeed);
      break;
    case 'fi':
      instruction =
        0x40 |
        (command.focus === 'far' ? 0x01 : command.focus === 'near' ? 0x02 : 0) |
        (command.iris === 'open' ? 0x04 : command.iris === 'close' ? 0x08 : 0);
      d1 = byte(command.focusSpeed);
      d2 = byte(command.irisSpeed);
      break;
    case 'preset':
      instruction = command.action === 'set' ? 0x81 : command.action === 'call' ? 0x82 : 0x83;
      d2 = byte(command.preset);
      break;
    case 'other':
      instruction = byte(command.instruction);
      d1 = byte(command.data1);
      d2 = byte(command.data2);
      d3 = nibble(command.data3);
      break;
  }
  const addr = Math.max(0, Math.min(0xfff, Math.trunc(address) || 0));
  const out = new Uint8Array(8);
  out[0] = 0xa5;
  out[1] = 0x0f; // version 0, check nibble (0xA + 0x5 + 0) mod 16
  out[2] = addr & 0xff;
  out[3] = instruction;
  out[4] = d1;
  out[5] = d2;
  out[6] = (d3 << 4) | (addr >> 8);
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += out[i] as number;
  out[7] = sum & 0xff;
  return out;
}

/** The `<PTZCmd>` text: 16 upper-case hex digits. */
export function encodePtzCmd(command: PtzCommand, address = 1): string {
  return toHex(encodePtzBytes(command, address), true);
}

/** Parses `<PTZCmd>` text (case-insensitive hex), checking the header, check nibble and checksum. */
export function decodePtzCmd(hex: string): GbResult<PtzFrame> {
  const bytes = fromHex(hex.trim());
  if (bytes?.length !== 8) return fail('ptz:syntax', 'PTZCmd must be 16 hex digits');
  if (bytes[0] !== 0xa5) return fail('ptz:syntax', 'PTZCmd must start with A5');
  const b2 = bytes[1] as number;
  if ((b2 & 0x0f) !== (0xa + 0x5 + (b2 >> 4)) % 16) return fail('ptz:checksum', 'bad check nibble in byte 2');
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += bytes[i] as number;
  if ((sum & 0xff) !== bytes[7]) return fail('ptz:checksum', 'bad checksum');
  const instruction = bytes[3] as number;
  const d1 = bytes[4] as number;
  const d2 = bytes[5] as number;
  const b7 = bytes[6] as number;
  const d3 = b7 >> 4;
  const address = (bytes[2] as number) | ((b7 & 0x0f) << 8);
  let command: PtzCommand;
  if (
    (instruction & 0xc0) === 0 &&
    (instruction & 0x03) !== 0x03 &&
    (instruction & 0x0c) !== 0x0c &&
    (instruction & 0x30) !== 0x30
  ) {
    command = {
      kind: 'ptz',
      pan: instruction & 0x01 ? 'right' : instruction & 0x02 ? 'left' : null,
      tilt: instruction & 0x04 ? 'down' : instruction & 0x08 ? 'up' : null,
      zoom: instruction & 0x10 ? 'in' : instruction & 0x20 ? 'out' : null,
      panSpeed: d1,
      tiltSpeed: d2,
      zoomSpeed: d3,
    };
  } else if (
    (instruction & 0xf0) === 0x40 &&
    (instruction & 0x03) !== 0x03 &&
    (instruction & 0x0c) !== 0x0c
  ) {
    command = {
      kind: 'fi',
      focus: instruction & 0x01 ? 'far' : instruction & 0x02 ? 'near' : null,
      iris: instruction & 0x04 ? 'open' : instruction & 0x08 ? 'close' : null,
      focusSpeed: d1,
      irisSpeed: d2,
    };
  } else if (instruction >= 0x81 && instruction <= 0x83) {
    command = {
      kind: 'preset',
      action: instruction === 0x81 ? 'set' : instruction === 0x82 ? 'call' : 'delete',
      preset: d2,
    };
  } else {
    command = { kind: 'other', instruction, data1: d1, data2: d2, data3: d3 };
  }
  return ok({ command, address });
}
