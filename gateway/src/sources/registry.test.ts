import { describe, expect, it } from 'vitest';
import type { CameraRecord } from '../cameras/facts.ts';
import { onvifSource } from './onvif/index.ts';
import { SourceRegistry } from './registry.ts';
import { rtspSource } from './rtsp/index.ts';
import type { SourceAdapter } from './types.ts';

const stub = (kind: SourceAdapter['kind']): SourceAdapter => ({
  kind,
  stream: () => ({ ensure: async () => {} }),
});

const camera = (kind: 'rtsp' | 'onvif', connection: Record<string, unknown>): CameraRecord => ({
  facts: {
    id: 'c1',
    ownerOrgId: 'o1',
    funding: 'government',
    districtCode: '320402',
    grade: 1,
    state: 'in_service',
    lon: 120,
    lat: 31.8,
  },
  name: 'cam',
  externalId: 'cam01',
  sourceKind: kind,
  profiles: { main: { path: '/main' } },
  source: { id: 's1', kind, connection, secretCiphertext: null },
});

describe('source kinds', () => {
  it('needs an adapter for every kind of the protocol, once', () => {
    expect(() => new SourceRegistry([stub('rtsp'), stub('onvif')])).toThrow(
      'no adapter for source kinds: gb28181',
    );
    expect(() => new SourceRegistry([stub('rtsp'), stub('onvif'), stub('gb28181'), stub('rtsp')])).toThrow(
      'source kind rtsp registered twice',
    );
    const onvif = stub('onvif');
    expect(new SourceRegistry([stub('rtsp'), onvif, stub('gb28181')]).get('onvif')).toBe(onvif);
  });

  it('pulls RTSP and ONVIF streams by URL from their own base setting; neither steers nor syncs', () => {
    const rtsp = rtspSource({ secrets: undefined });
    const onvif = onvifSource({ secrets: undefined });
    expect(rtsp.ptz).toBeUndefined();
    expect(onvif.ptz).toBeUndefined();
    expect(rtsp.catalog).toBeUndefined();
    expect(onvif.catalog).toBeUndefined();
    expect(() => rtsp.stream(camera('rtsp', { baseUrl: 'rtsp://nvr:554' }), 'main')).not.toThrow();
    expect(() => onvif.stream(camera('onvif', { rtspBaseUrl: 'rtsp://cam:554' }), 'main')).not.toThrow();
    // A relative path without the kind's base, or a profile the camera lacks: no stream.
    expect(() => onvif.stream(camera('onvif', { baseUrl: 'rtsp://cam:554' }), 'main')).toThrow(
      expect.objectContaining({ code: 'not_found:camera' }),
    );
    expect(() => rtsp.stream(camera('rtsp', { baseUrl: 'rtsp://nvr:554' }), 'sub')).toThrow(
      'the camera has no sub stream',
    );
  });
});
