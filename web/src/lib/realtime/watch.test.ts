import type { Incident, StreamStatus } from '@wall/protocol';
import { describe, expect, it } from 'vitest';
import { cameraStates, retainWatch } from './use-camera-status';
import { applyIncidentEvent } from './use-incidents';

describe('retainWatch', () => {
  it('watches what is in view, lower-cased and once', () => {
    expect(retainWatch([], ['A', 'b', 'a'], 10)).toEqual(['a', 'b']);
  });
  it('keeps what left the view while there is room', () => {
    expect(retainWatch(['x', 'y'], ['a', 'b'], 10)).toEqual(['x', 'y', 'a', 'b']);
  });
  it('makes room by dropping the longest watched first', () => {
    expect(retainWatch(['x', 'y', 'z'], ['a', 'b'], 4)).toEqual(['y', 'z', 'a', 'b']);
  });
  it('a camera back in view moves to the newest end', () => {
    expect(retainWatch(['x', 'y'], ['x'], 10)).toEqual(['y', 'x']);
  });
  it('more in view than the limit: the first ones only, nothing kept', () => {
    expect(retainWatch(['x'], ['a', 'b', 'c'], 2)).toEqual(['a', 'b']);
  });
});

const status = (cameraId: string, profile: 'main' | 'sub', state: StreamStatus['state']) =>
  ({ cameraId, profile, state }) as StreamStatus;

describe('cameraStates', () => {
  it.each([
    ['live', 'offline', 'live'],
    ['stalled', 'starting', 'starting'],
    ['offline', 'stalled', 'stalled'],
    ['offline', 'offline', 'offline'],
  ] as const)('main %s and sub %s → %s', (main, sub, best) => {
    const m = new Map([
      ['cam/main', status('CAM', 'main', main)],
      ['cam/sub', status('cam', 'sub', sub)],
    ]);
    expect(cameraStates(m)).toEqual({ cam: best });
  });
});

describe('applyIncidentEvent', () => {
  const inc = (id: string, title = id) => ({ id, title }) as Incident;
  it('an opened incident comes first, replacing its older copy', () => {
    const list = [inc('a'), inc('b')];
    expect(applyIncidentEvent(list, { type: 'opened', incident: inc('b', 'B2') })).toEqual([
      inc('b', 'B2'),
      inc('a'),
    ]);
  });
  it('a closed incident leaves the list; an unknown one changes nothing', () => {
    expect(applyIncidentEvent([inc('a'), inc('b')], { type: 'closed', incident: inc('a') })).toEqual([
      inc('b'),
    ]);
    expect(applyIncidentEvent([inc('a')], { type: 'closed', incident: inc('z') })).toEqual([inc('a')]);
  });
});
