import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLAYBACK_INIT_PATH, PLAYBACK_MEDIA_PATH, playbackAnswerSchema } from '@wall/protocol';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { io as connectViewer } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RtspSim, startRtspSim } from '../../media-server/test/support.ts';
import { buildApp } from '../src/app.ts';
import { gatewayEnvSchema } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import { seedDemo } from '../src/demo/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { issueStreamToken, streamTokenKey } from '../src/media/tokens.ts';
import { substitutePlaylist } from '../src/recordings/index.ts';
import {
  injectAs,
  isolatedRedisUrl,
  openReferenceDatabase,
  REDIS_DB,
  signInTo,
  startMediaNode,
  type TestMediaNode,
  type TestSession,
  until,
} from './services.ts';

// Playback over HLS, end to end: the media node records a simulated camera → the gateway's index →
// POST /api/cameras/:id/playback (decided, audited) → the gateway's playlist → init and media
// segments fetched from the node over HTTP → ffmpeg decodes them as one continuous timeline.
// Damaged and missing files, ranges, rights, token scopes and CORS on the node's routes.
const REDIS_URL = isolatedRedisUrl(REDIS_DB.playback);
const PASSWORD = 'demo-password-playback';
const ORIGIN = 'http://127.0.0.1:3000';

interface SegmentRow {
  start_ms: number;
  end_ms: number;
  duration_ms: number;
  storage_key: string;
  sha256: string;
}

/** A playlist's lines, with the segment URIs (the lines that are not tags). */
function parsePlaylist(text: string) {
  const lines = text.trim().split('\n');
  return {
    lines,
    maps: lines.filter((l) => l.startsWith('#EXT-X-MAP:')).map((l) => /URI="([^"]+)"/.exec(l)?.[1] ?? ''),
    media: lines.filter((l) => !l.startsWith('#')),
    extinfMs: lines
      .filter((l) => l.startsWith('#EXTINF:'))
      .map((l) => Math.round(Number(l.slice(8, -1)) * 1000)),
  };
}

describe('playback over HLS: playlist from the index, segments from the media node', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let sim: RtspSim;
  let media: TestMediaNode;
  let nodeId: string;
  let cam: string;
  let police: TestSession;
  let rows: SegmentRow[];
  const dir = mkdtempSync(join(tmpdir(), 'wall-playback-'));
  const secret = randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const tokenKey = streamTokenKey(jwk.x ?? '', jwk.d ?? '');
  const redis = new Redis(REDIS_URL, { lazyConnect: true });

  beforeAll(async () => {
    sim = await startRtspSim({ count: 1, gop: 25 });
    ({ db, drop } = await openReferenceDatabase());
    await seedDemo(db, { rtspUrl: sim.url, simulatedCameras: 1, password: PASSWORD });
    await redis.connect();
    await redis.flushdb();
    nodeId = `pb-${randomBytes(3).toString('hex')}`;
    media = await startMediaNode({
      redis,
      redisUrl: REDIS_URL,
      nodeId,
      port: await freePort(),
      tokenPublicKey: jwk.x ?? '',
      controlSecret: secret,
      env: {
        RTC_MIN_PORT: '48200',
        RTC_MAX_PORT: '48299',
        WEBRTC_PORT: '21920',
        RECORDING_DIR: dir,
        RECORDING_SEGMENT_S: '2',
        RECORDING_MIN_FREE_BYTES: '0',
        MEDIA_WEB_ORIGINS: ORIGIN,
      },
    });
    const config = gatewayEnvSchema.parse({
      STREAM_TOKEN_PUBLIC_KEY: jwk.x,
      STREAM_TOKEN_PRIVATE_KEY: jwk.d,
      MEDIA_CONTROL_SECRET: secret,
      RECORDING_PLAN: 'simulated',
      RECORDING_PLAN_PROFILE: 'sub',
      RECORDING_DIR: dir,
      POLICY_CACHE_TTL_MS: '0',
    });
    app = await buildApp({ config, db, redis, logger: createLogger('silent', 'gateway') });
    cam =
      (await db.query<{ id: string }>(`SELECT id FROM cameras WHERE external_id = 'cam01'`)).rows[0]?.id ??
      '';
    await app.recordingPlanner?.reconcile();
    // Six indexed segments of 2 s: five to play, one after the range.
    rows = await until(
      'six indexed segments',
      async () => {
        const r = await db.query<SegmentRow>(
          `SELECT (extract(epoch FROM start_at) * 1000)::float8 AS start_ms,
                  (extract(epoch FROM end_at) * 1000)::float8 AS end_ms, duration_ms, storage_key, sha256
             FROM recording_segments WHERE camera_id = $1 AND profile = 'sub' ORDER BY start_at`,
          [cam],
        );
        return r.rows.length >= 6 ? r.rows.slice(0, 6) : undefined;
      },
      60_000,
    );
    // A gap the node reported between the fourth and the fifth segment.
    const [s3, s4] = [rows[3] as SegmentRow, rows[4] as SegmentRow];
    await db.query(
      `INSERT INTO recording_gaps (camera_id, profile, node, from_at, to_at, reason)
       VALUES ($1, 'sub', $2, $3, $4, 'source_lost')`,
      [cam, nodeId, new Date(s3.end_ms).toISOString(), new Date(s4.start_ms).toISOString()],
    );
    police = await signInTo(app, ORIGIN, 'police.dispatcher', PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await media?.stop();
    redis.disconnect();
    await db?.close();
    await drop?.();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const first = () => rows[0] as SegmentRow;
  /** The range of the first five segments: to is just after the fifth one's start. */
  const range = () => ({
    from: new Date(first().start_ms).toISOString(),
    to: new Date((rows[4] as SegmentRow).start_ms + 1).toISOString(),
  });
  const requestPlayback = (session: TestSession, body: Record<string, unknown>) =>
    injectAs(app, ORIGIN, session, 'POST', `/api/cameras/${cam}/playback`, body);
  const auditOf = async (action: string, actor: string) =>
    (
      await db.query<{ result: string; reason: string; target_id: string; detail: Record<string, unknown> }>(
        `SELECT result, reason, target_id, detail FROM audit_log WHERE action = $1 AND actor_name = $2 ORDER BY seq`,
        [action, actor],
      )
    ).rows;
  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
  const codeOf = async (res: Response) => ((await res.json()) as { code: string }).code;
  const mediaUrl = (key: string, token: string, off = 0, sha = first().sha256) =>
    `${media.url}${PLAYBACK_MEDIA_PATH}/${key}?off=${off}&sha=${sha}&token=${token}`;
  const playbackToken = (o: { cameraId?: string; range?: [number, number] | undefined }) =>
    issueStreamToken(tokenKey, {
      userId: 'tester',
      cameraId: o.cameraId ?? cam,
      profile: 'sub',
      nodeId,
      emergency: false,
      range: o.range,
    }).token;

  it('answers a playback token and a playlist that plays as one timeline from the node', async () => {
    const res = await requestPlayback(police, { profile: 'sub', ...range() });
    expect(res.statusCode, res.body).toBe(200);
    const answer = playbackAnswerSchema.parse(res.json());
    expect(answer).toMatchObject({
      nodeUrl: media.url,
      emergency: false,
      codec: 'h264',
      transcoded: false,
      segments: 5,
      from: range().from,
    });
    const claims = JSON.parse(Buffer.from(answer.token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({
      cam,
      prof: 'sub',
      aud: nodeId,
      rng: [Date.parse(range().from), Date.parse(range().to)],
    });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(60);

    const pl = await app.inject({ method: 'GET', url: answer.playlistUrl });
    expect(pl.statusCode, pl.body).toBe(200);
    expect(pl.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(pl.headers['cache-control']).toBe('no-store');
    // The URLs' common parts are variables (EXT-X-DEFINE); a player substitutes them.
    expect(pl.body).toContain('#EXT-X-DEFINE:QUERYPARAM="token"');
    const query = new URL(answer.playlistUrl, 'http://gateway').searchParams;
    const p = parsePlaylist(substitutePlaylist(pl.body, query));
    expect(p.lines.slice(0, 5)).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:11',
      expect.stringMatching(/^#EXT-X-TARGETDURATION:\d+$/),
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-INDEPENDENT-SEGMENTS',
    ]);
    expect(p.lines.at(-1)).toBe('#EXT-X-ENDLIST');
    expect(p.maps).toEqual([
      `${media.url}${PLAYBACK_INIT_PATH}/${first().storage_key}?token=${answer.token}`,
    ]);
    expect(p.media).toHaveLength(5);
    // EXTINF from the index; their sum is the last offset plus the last duration.
    const played = rows.slice(0, 5);
    expect(p.extinfMs).toEqual(played.map((r) => r.duration_ms));
    let off = 0;
    played.forEach((r, i) => {
      expect(p.media[i]).toBe(mediaUrl(r.storage_key, answer.token, off, r.sha256));
      off += r.duration_ms;
    });
    // Program date-time on the first segment and after the discontinuity of the recorded gap.
    const pdt = p.lines
      .filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:'))
      .map((l) => Date.parse(l.slice(25)));
    expect(pdt).toEqual([first().start_ms, (rows[4] as SegmentRow).start_ms]);
    const disc = p.lines.indexOf('#EXT-X-DISCONTINUITY');
    expect(disc).toBeGreaterThan(p.lines.indexOf(p.media[3] ?? ''));
    expect(disc).toBeLessThan(p.lines.indexOf(p.media[4] ?? ''));
    expect(p.lines.filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(1);

    // The init part and three consecutive media parts, over HTTP from the node, as a browser asks.
    const fetched: Buffer[] = [];
    for (const url of [p.maps[0] ?? '', ...p.media.slice(0, 3)]) {
      const r = await get(url, { origin: ORIGIN });
      expect(r.status, url).toBe(200);
      expect(r.headers.get('content-type')).toBe('video/mp4');
      expect(r.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      fetched.push(Buffer.from(await r.arrayBuffer()));
    }
    const file = join(dir, 'played.mp4');
    writeFileSync(file, Buffer.concat(fetched));
    const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
    expect(decode.status).toBe(0);
    expect(decode.stderr.trim()).toBe('');
    const probe = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'packet=dts_time,duration_time',
        '-of',
        'csv=p=0',
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(probe.status).toBe(0);
    const packets = probe.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(',').map(Number) as [number, number]);
    const total = played.slice(0, 3).reduce((n, r) => n + r.duration_ms, 0) / 1000;
    expect(packets[0]?.[0]).toBe(0);
    for (let i = 1; i < packets.length; i++) {
      const [dts, prevDts] = [packets[i]?.[0] ?? 0, packets[i - 1]?.[0] ?? 0];
      // Increasing, and no hole or overlap at the segment boundaries (one frame at most 0.2 s at 5+ fps).
      expect(dts).toBeGreaterThan(prevDts);
      expect(dts - prevDts).toBeLessThan(0.2);
    }
    const last = packets.at(-1) ?? [0, 0];
    expect(Math.abs(last[0] + last[1] - total)).toBeLessThan(0.05);

    // The second segment alone, played at its place: its first decode time is the first's duration.
    const second = await get(p.media[1] ?? '');
    const alone = join(dir, 'second.mp4');
    writeFileSync(alone, Buffer.concat([fetched[0] as Buffer, Buffer.from(await second.arrayBuffer())]));
    const startOf = spawnSync(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'packet=dts_time', '-of', 'csv=p=0', '-read_intervals', '%+#1', alone],
      { encoding: 'utf8' },
    );
    expect(Number(startOf.stdout.trim().split('\n')[0])).toBeCloseTo((played[0]?.duration_ms ?? 0) / 1000, 2);

    // The allow is audited with camera, profile and range.
    const audit = await auditOf('recording.playback', 'police.dispatcher');
    expect(audit.at(-1)).toMatchObject({
      result: 'allow',
      reason: 'allowed',
      target_id: cam,
      detail: {
        policyAction: 'playback:view',
        profile: 'sub',
        ...range(),
        node: nodeId,
        segments: 5,
        codec: 'h264',
      },
    });
    // A renewal is decided and audited again, marked as such.
    const again = await requestPlayback(police, { profile: 'sub', ...range(), refresh: true });
    expect(again.statusCode).toBe(200);
    expect((await auditOf('recording.playback', 'police.dispatcher')).at(-1)?.detail).toMatchObject({
      refresh: true,
    });
  });

  it('serves a single byte range (206) and refuses one past the end (416)', async () => {
    const token = playbackToken({ range: [first().start_ms, first().end_ms] });
    const url = mediaUrl(first().storage_key, token);
    const whole = Buffer.from(await (await get(url)).arrayBuffer());
    const part = await get(url, { range: 'bytes=8-99' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 8-99/${whole.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(whole.subarray(8, 100));
    const past = await get(url, { range: `bytes=${whole.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    const init = await get(`${media.url}${PLAYBACK_INIT_PATH}/${first().storage_key}?token=${token}`, {
      range: 'bytes=0-7',
    });
    expect(init.status).toBe(206);
    expect(Buffer.from(await init.arrayBuffer()).toString('latin1', 4, 8)).toBe('ftyp');
  });

  it('answers CORS only to the allowed web origin, preflight included', async () => {
    const token = playbackToken({ range: [first().start_ms, first().end_ms] });
    const url = mediaUrl(first().storage_key, token);
    const other = await get(url, { origin: 'http://evil.example' });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toContain('Origin');
    const pre = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'range',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(pre.headers.get('access-control-allow-headers')).toBe('Range');
    const preOther = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(preOther.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a live token at playback, a playback token at the snapshot, another camera’s key and a key outside the range', async () => {
    const key = first().storage_key;
    const live = playbackToken({ range: undefined });
    const atInit = await get(`${media.url}${PLAYBACK_INIT_PATH}/${key}?token=${live}`);
    expect([atInit.status, await codeOf(atInit)]).toEqual([403, 'token:scope']);
    const atMedia = await get(mediaUrl(key, live));
    expect([atMedia.status, await codeOf(atMedia)]).toEqual([403, 'token:scope']);

    const pb = playbackToken({ range: [first().start_ms, first().end_ms] });
    const snap = await get(`${media.url}/snapshot/${cam}?profile=sub&token=${pb}`);
    expect([snap.status, await codeOf(snap)]).toEqual([403, 'token:scope']);

    const otherCam = playbackToken({
      cameraId: '00000000-0000-4000-8000-000000000001',
      range: [first().start_ms, first().end_ms],
    });
    const wrongCam = await get(mediaUrl(key, otherCam));
    expect([wrongCam.status, await codeOf(wrongCam)]).toEqual([403, 'token:camera']);

    // A range that starts more than 60 s after the segment, and one that ends at its start.
    for (const rng of [
      [first().start_ms + 60_001, first().start_ms + 120_000],
      [first().start_ms - 60_000, first().start_ms],
    ] as [number, number][]) {
      const out = await get(mediaUrl(key, playbackToken({ range: rng })));
      expect([out.status, await codeOf(out)]).toEqual([403, 'token:scope']);
    }

    // The viewer signalling refuses it at the handshake, and in a consume on a live-token socket.
    const refused = connectViewer(`${media.url}/viewer`, {
      auth: { token: pb },
      transports: ['websocket'],
      reconnection: false,
    });
    const handshake = await new Promise<Error & { data?: { code: string } }>((r) =>
      refused.once('connect_error', r),
    );
    refused.close();
    expect([handshake.message, handshake.data?.code]).toEqual(['token:scope', 'token:scope']);
    const viewer = connectViewer(`${media.url}/viewer`, {
      auth: { token: live },
      transports: ['websocket'],
      reconnection: false,
    });
    try {
      await new Promise<void>((ok, fail) => {
        viewer.once('connect', ok);
        viewer.once('connect_error', fail);
      });
      const consumed = await viewer
        .timeout(5000)
        .emitWithAck('stream:consume', { token: pb, rtpCapabilities: {} });
      expect(consumed).toMatchObject({ ok: false, error: { code: 'token:scope' } });
    } finally {
      viewer.close();
    }

    // The playlist route takes playback tokens only.
    const pl = await app.inject({ method: 'GET', url: `/api/playback/playlist.m3u8?token=${live}` });
    expect([pl.statusCode, pl.json().code]).toEqual([403, 'token:scope']);
    const bad = await app.inject({
      method: 'GET',
      url: `/api/playback/playlist.m3u8?token=${pb.slice(0, -3)}xyz`,
    });
    expect([bad.statusCode, bad.json().code]).toEqual([401, 'token:signature']);
  });

  it('answers a file altered by hand 409 recording:damaged, a deleted one 404 recording:missing', async () => {
    const [s1, s2] = [rows[1] as SegmentRow, rows[2] as SegmentRow];
    const token = playbackToken({ range: [s1.start_ms, (rows[4] as SegmentRow).start_ms] });
    // Verified once (and remembered), then altered: the change of the file is seen.
    expect((await get(mediaUrl(s1.storage_key, token, 0, s1.sha256))).status).toBe(200);
    const path = join(dir, s1.storage_key);
    const bytes = readFileSync(path);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    const damaged = await get(mediaUrl(s1.storage_key, token, 0, s1.sha256));
    expect([damaged.status, await codeOf(damaged)]).toEqual([409, 'recording:damaged']);
    // A wrong fingerprint in the URL is the same refusal.
    const wrongSha = await get(mediaUrl(s2.storage_key, token, 0, s1.sha256));
    expect([wrongSha.status, await codeOf(wrongSha)]).toEqual([409, 'recording:damaged']);

    unlinkSync(join(dir, s2.storage_key));
    const missing = await get(mediaUrl(s2.storage_key, token, 0, s2.sha256));
    expect([missing.status, await codeOf(missing)]).toEqual([404, 'recording:missing']);
    const missingInit = await get(`${media.url}${PLAYBACK_INIT_PATH}/${s2.storage_key}?token=${token}`);
    expect([missingInit.status, await codeOf(missingInit)]).toEqual([404, 'recording:missing']);
  });

  it('refuses a range over 24 h (invalid:range) and a user without a retrieval basis (audited)', async () => {
    const from = new Date(Date.now() - 25 * 3_600_000).toISOString();
    const long = await requestPlayback(police, { profile: 'sub', from, to: new Date().toISOString() });
    expect([long.statusCode, long.json().code]).toEqual([400, 'invalid:range']);
    const backwards = await requestPlayback(police, { profile: 'sub', from: range().to, to: range().from });
    expect([backwards.statusCode, backwards.json().code]).toEqual([400, 'invalid:range']);

    const staff = await signInTo(app, ORIGIN, 'tianning.staff', PASSWORD);
    const denied = await requestPlayback(staff, { profile: 'sub', ...range() });
    expect([denied.statusCode, denied.json().code]).toEqual([403, 'forbidden:retrieval']);
    expect(denied.json().token).toBeUndefined();
    expect((await auditOf('recording.playback', 'tianning.staff')).at(-1)).toMatchObject({
      result: 'deny',
      reason: 'forbidden:retrieval',
      target_id: cam,
      detail: { policyAction: 'playback:view', profile: 'sub', ...range() },
    });
    // Without the CSRF token the request is refused before any decision.
    const noCsrf = await app.inject({
      method: 'POST',
      url: `/api/cameras/${cam}/playback`,
      cookies: { wall_sid: police.sid },
      headers: { origin: ORIGIN },
      payload: { profile: 'sub', ...range() },
    });
    expect(noCsrf.statusCode).toBe(403);
  });
});
