import { describe, expect, it } from 'vitest';
import { decodeRecordingEvent } from './index-writer.ts';

const CAMERA = '0b0e6c1e-4a55-4c3b-9a43-3f1f3bd1a001';
const SEGMENT = {
  kind: 'segment',
  node: 'node-a',
  cameraId: CAMERA,
  profile: 'main',
  startMs: 1_700_000_000_000,
  endMs: 1_700_000_004_000,
  durationMs: 4000,
  frames: 100,
  bytes: 5000,
  initBytes: 700,
  sha256: 'a'.repeat(64),
  storageKey: `${CAMERA}/main/1.mp4`,
  codec: 'h264',
};
const fields = (o: Record<string, unknown>) => Object.entries(o).flatMap(([k, v]) => [k, String(v)]);

describe('decodeRecordingEvent', () => {
  it('reads the JSON of field `event`, and the same event as plain fields', () => {
    expect(decodeRecordingEvent(['event', JSON.stringify(SEGMENT)])).toEqual({ ok: true, event: SEGMENT });
    expect(decodeRecordingEvent(fields(SEGMENT))).toEqual({ ok: true, event: SEGMENT });
    expect(
      decodeRecordingEvent(['event', JSON.stringify({ ...SEGMENT, cameraId: CAMERA.toUpperCase() })]),
    ).toEqual({
      ok: true,
      event: SEGMENT,
    });
  });

  it.each([
    ['not JSON', ['event', '{'], 'field `event` is not JSON'],
    [
      'a bad hash',
      ['event', JSON.stringify({ ...SEGMENT, sha256: 'x' })],
      'sha256: Invalid string: must match pattern /^[0-9a-f]{64}$/',
    ],
    [
      'a path escaping the store',
      ['event', JSON.stringify({ ...SEGMENT, storageKey: '../etc/passwd' })],
      'storageKey: a relative path of safe characters',
    ],
    [
      'a camera id that is no UUID',
      ['event', JSON.stringify({ ...SEGMENT, cameraId: 'cam-1' })],
      'cameraId: not a camera of this platform (UUID)',
    ],
    [
      'an end before the start',
      ['event', JSON.stringify({ ...SEGMENT, endMs: SEGMENT.startMs - 1 })],
      'endMs before startMs',
    ],
    [
      'a gap backwards',
      [
        'event',
        JSON.stringify({
          kind: 'gap',
          node: 'n',
          cameraId: CAMERA,
          profile: 'sub',
          fromMs: 5,
          toMs: 4,
          reason: 'source_lost',
        }),
      ],
      'toMs before fromMs',
    ],
    [
      'an unknown kind',
      ['event', JSON.stringify({ ...SEGMENT, kind: 'clip' })],
      "kind: Invalid discriminator value. Expected 'segment' | 'gap'",
    ],
  ])('refuses %s', (_what, f, why) => {
    expect(decodeRecordingEvent(f)).toEqual({ ok: false, why });
  });
});
