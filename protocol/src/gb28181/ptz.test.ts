import { describe, expect, it } from 'vitest';
import { decodePtzCmd, encodePtzCmd, PTZ_STOP, type PtzCommand } from './ptz.ts';

const ptz = (p: Partial<Extract<PtzCommand, { kind: 'ptz' }>>): PtzCommand =>
  ({ ...PTZ_STOP, ...p }) as PtzCommand;

// Expected strings computed independently (python: bytes + [sum(bytes) & 0xff]).
describe('PTZCmd', () => {
  it.each<[string, PtzCommand, number, string]>([
    ['stop', PTZ_STOP, 1, 'A50F0100000000B5'],
    ['right', ptz({ pan: 'right', panSpeed: 0x80 }), 1, 'A50F010180000036'],
    ['left', ptz({ pan: 'left', panSpeed: 0x80 }), 1, 'A50F010280000037'],
    ['up', ptz({ tilt: 'up', tiltSpeed: 0x80 }), 1, 'A50F01080080003D'],
    ['down', ptz({ tilt: 'down', tiltSpeed: 0x80 }), 1, 'A50F010400800039'],
    ['zoom in', ptz({ zoom: 'in', zoomSpeed: 1 }), 1, 'A50F0110000010D5'],
    ['zoom out', ptz({ zoom: 'out', zoomSpeed: 1 }), 1, 'A50F0120000010E5'],
    [
      'up-left at full speed',
      ptz({ pan: 'left', tilt: 'up', panSpeed: 255, tiltSpeed: 255 }),
      1,
      'A50F010AFFFF00BD',
    ],
    [
      'right at address 0x123, zoom speed 15',
      ptz({ pan: 'right', panSpeed: 0x20, zoomSpeed: 15 }),
      0x123,
      'A50F23012000F1E9',
    ],
    ['call preset 5', { kind: 'preset', action: 'call', preset: 5 }, 1, 'A50F01820005003C'],
    [
      'focus near',
      { kind: 'fi', focus: 'near', iris: null, focusSpeed: 0x40, irisSpeed: 0 },
      1,
      'A50F014240000037',
    ],
    [
      'iris open',
      { kind: 'fi', focus: null, iris: 'open', focusSpeed: 0, irisSpeed: 0x40 },
      1,
      'A50F014400400039',
    ],
  ])('%s → %s', (_name, command, address, hex) => {
    expect(encodePtzCmd(command, address)).toBe(hex);
    expect(decodePtzCmd(hex)).toEqual({ ok: true, value: { command, address } });
    expect(decodePtzCmd(hex.toLowerCase())).toEqual({ ok: true, value: { command, address } });
  });

  it('clamps out-of-range speeds and addresses', () => {
    expect(encodePtzCmd(ptz({ pan: 'right', panSpeed: 999, zoomSpeed: 99 }), 99999)).toBe(
      encodePtzCmd(ptz({ pan: 'right', panSpeed: 255, zoomSpeed: 15 }), 0xfff),
    );
  });

  it('keeps unknown instructions as they are', () => {
    expect(decodePtzCmd('A50F018901020344')).toEqual({
      ok: true,
      value: { address: 0x301, command: { kind: 'other', instruction: 0x89, data1: 1, data2: 2, data3: 0 } },
    });
  });

  it.each([
    ['A50F0100000000B6', 'ptz:checksum'],
    ['A51F0100000000C5', 'ptz:checksum'],
    ['A60F0100000000B6', 'ptz:syntax'],
    ['A50F01000000B5', 'ptz:syntax'],
    ['A50F0100000000GG', 'ptz:syntax'],
    ['', 'ptz:syntax'],
  ])('refuses %j with %s', (hex, code) => {
    const r = decodePtzCmd(hex);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });
});
