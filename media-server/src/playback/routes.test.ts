import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStreamToken } from '../../test/support/sign-token.ts';
import { AppError } from '../lib/app-error.ts';
import { type AccessUnit, muxSegment } from '../recording/fmp4.ts';
import { FsStorage } from '../recording/index.ts';
import { requireScope, verifyStreamToken } from '../tokens/index.ts';
import { splitSegment } from './fmp4-rewrite.ts';
import { registerPlaybackRoutes } from './routes.ts';
import type { SegmentTranscoder } from './transcoder.ts';

// The node's playback routes on real files (FsStorage) and real tokens, without the rest of the
// node: codecs (H.265 with and without a transcoder), unreadable files, keys, profiles.
const keys = generateKeyPairSync('ed25519');
const SPS = Buffer.from('6742c01ed900a02ff97011000003000100000300320f162e48', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const units = (n: number): AccessUnit[] =>
  Array.from({ length: n }, (_, i) => ({
    nals: [Buffer.from([i === 0 ? 0x65 : 0x41, 1, 2, 3])],
    timestamp: i * 3600,
    keyframe: i === 0,
  }));
const avc = muxSegment({ sps: SPS, pps: PPS, width: 640, height: 360 }, units(4), {
  lastDuration: 3600,
}).bytes;
/** The same segment declared as H.265 (`hvc1` sample entry): what the node must not send to a browser. */
const hevc = Buffer.from(avc);
hevc.write('hvc1', hevc.indexOf('avc1', hevc.indexOf('stsd', 0, 'latin1'), 'latin1'), 'latin1');
/** What the transcoder gives for it: another H.264 segment (8 frames). */
const transcoded = splitSegment(muxSegment({ sps: SPS, pps: PPS, width: 640, height: 360 }, units(8)).bytes);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const START = 1_800_000_000_000;
const key = (n: number, profile = 'sub') => `cam-1/${profile}/2027-01-15/${START + n}.mp4`;
const token = (o: { prof?: 'main' | 'sub'; rng?: [number, number] } = {}) =>
  signStreamToken(
    { sub: 'u', cam: 'cam-1', prof: o.prof ?? 'sub', aud: 'node-1', rng: o.rng ?? [START, START + 60_000] },
    keys.privateKey,
  );

async function appWith(transcoder?: SegmentTranscoder): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) =>
    err instanceof AppError
      ? reply.code(err.status).send({ code: err.code })
      : reply.code(500).send({ code: 'internal' }),
  );
  registerPlaybackRoutes(app, {
    storage,
    verifyToken: (t) =>
      requireScope(verifyStreamToken(t, { publicKey: keys.publicKey, nodeId: 'node-1' }), 'playback'),
    origins: ['http://web.example'],
    transcoder,
  });
  await app.ready();
  return app;
}

const dir = mkdtempSync(join(tmpdir(), 'wall-playback-routes-'));
const storage = new FsStorage(dir);
const tfdtOf = (media: Buffer) => Number(media.readBigUInt64BE(media.indexOf('tfdt', 0, 'latin1') + 8));

describe('playback routes on the node', () => {
  const calls: string[] = [];
  let plain: FastifyInstance;
  let withTranscoder: FastifyInstance;

  beforeAll(async () => {
    await storage.put(key(0), avc);
    await storage.put(key(1), hevc);
    await storage.put(key(2), Buffer.from('not an mp4 at all'));
    plain = await appWith();
    withTranscoder = await appWith({
      async transcode(file, k) {
        calls.push(k);
        expect(file).toEqual(hevc);
        return transcoded;
      },
    });
  });

  afterAll(async () => {
    await plain?.close();
    await withTranscoder?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const media = (app: FastifyInstance, k: string, file: Buffer, off = 0, t = token()) =>
    app.inject({ method: 'GET', url: `/playback/media/${k}?off=${off}&sha=${sha(file)}&token=${t}` });
  const init = (app: FastifyInstance, k: string, t = token()) =>
    app.inject({ method: 'GET', url: `/playback/init/${k}?token=${t}` });

  it('serves an H.264 segment as it is, its media part shifted by off', async () => {
    const own = splitSegment(avc);
    const i = await init(plain, key(0));
    expect([i.statusCode, i.headers['content-type']]).toEqual([200, 'video/mp4']);
    expect(i.rawPayload).toEqual(own.init);
    const m = await media(plain, key(0), avc, 2000);
    expect(m.statusCode).toBe(200);
    expect(m.rawPayload.length).toBe(own.media.length);
    expect(tfdtOf(m.rawPayload)).toBe(2000 * 90);
  });

  it('answers an H.265 segment 422 recording:codec without a transcoder', async () => {
    for (const res of [await init(plain, key(1)), await media(plain, key(1), hevc)]) {
      expect([res.statusCode, res.json().code]).toEqual([422, 'recording:codec']);
    }
  });

  it('serves an H.265 segment through the transcoder: its init, its media shifted by off', async () => {
    const i = await init(withTranscoder, key(1));
    expect(i.statusCode).toBe(200);
    expect(i.rawPayload).toEqual(transcoded.init);
    const m = await media(withTranscoder, key(1), hevc, 4000);
    expect(m.statusCode).toBe(200);
    expect(m.rawPayload.length).toBe(transcoded.media.length);
    expect(tfdtOf(m.rawPayload)).toBe(4000 * 90);
    expect(calls).toEqual([key(1), key(1)]);
    // An H.264 file never goes through it.
    expect((await media(withTranscoder, key(0), avc)).statusCode).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('answers a file that matches its fingerprint but is no fMP4 segment 409 recording:damaged', async () => {
    const junk = Buffer.from('not an mp4 at all');
    for (const res of [await init(plain, key(2)), await media(plain, key(2), junk)]) {
      expect([res.statusCode, res.json().code]).toEqual([409, 'recording:damaged']);
    }
  });

  it.each<[string, () => string, number, string]>([
    [
      'a key that is no segment key',
      () => '/playback/init/cam-1/sub/x.mp4?token=' + token(),
      400,
      'invalid:request',
    ],
    [
      'a key climbing out',
      () => '/playback/init/cam-1/sub/%2e%2e/%2e%2e/1.mp4?token=' + token(),
      400,
      'invalid:request',
    ],
    [
      'a token for the other profile',
      () => `/playback/init/${key(0)}?token=${token({ prof: 'main' })}`,
      403,
      'token:profile',
    ],
    [
      'a range starting over 60 s after the segment',
      () => `/playback/init/${key(0)}?token=${token({ rng: [START + 60_001, START + 70_000] })}`,
      403,
      'token:scope',
    ],
    [
      'a range starting at most 60 s after it',
      () => `/playback/init/${key(0)}?token=${token({ rng: [START + 60_000, START + 70_000] })}`,
      200,
      '',
    ],
    ['no token', () => `/playback/init/${key(0)}`, 400, 'invalid:request'],
    [
      'a media request without sha',
      () => `/playback/media/${key(0)}?off=0&token=${token()}`,
      400,
      'invalid:request',
    ],
    [
      'a negative off',
      () => `/playback/media/${key(0)}?off=-1&sha=${sha(avc)}&token=${token()}`,
      400,
      'invalid:request',
    ],
  ])('%s → %s %s', async (_name, url, status, code) => {
    const res = await plain.inject({ method: 'GET', url: url() });
    expect(res.statusCode).toBe(status);
    if (code) expect(res.json().code).toBe(code);
  });
});
