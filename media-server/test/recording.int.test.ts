import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type MediaNodeInfo,
  RECORDING_EVENT_FIELD,
  RECORDING_EVENTS_STREAM,
  type RecordedSegment,
  type RecordingEvent,
  type RecordingGap,
  recordingEventSchema,
  type StreamStatus,
} from '@wall/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.ts';
import { FfmpegSegmentTranscoder } from '../src/playback/transcode-ffmpeg.ts';
import {
  FsStorage,
  type RecorderStatus,
  type RecordingStorage,
  type StorageSpace,
} from '../src/recording/index.ts';
import { startTestNode, TEST_REDIS_URL, type TestNode, waitFor } from './media-node.ts';
import { decodeErrors, firstFrame, probeVideo } from './probe.ts';
import { freePort, type RtspSim, startRtspSim } from './rtsp-sim.ts';

const SEGMENT_S = 2;
const GOP_MS = 1000; // the simulator: 25 fps, GOP 25
const FRAME_MS = 40;
const MIN_FREE = 1024 * 1024;

/**
 * A small test double of the disk: real files (FsStorage), with the free space the test sets and
 * writes that fail when the test says so.
 */
class TestDisk implements RecordingStorage {
  readonly inner: FsStorage;
  free: number | undefined;
  failPuts = 0;
  constructor(root: string) {
    this.inner = new FsStorage(root);
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    if (this.failPuts > 0) {
      this.failPuts--;
      throw Object.assign(new Error('input/output error'), { code: 'EIO' });
    }
    await this.inner.put(key, bytes);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  read(key: string) {
    return this.inner.read(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  async statfs(): Promise<StorageSpace> {
    const real = await this.inner.statfs();
    return this.free === undefined ? real : { totalBytes: real.totalBytes, freeBytes: this.free };
  }
}

function ingestCount(url: string): number {
  const r = spawnSync('pgrep', ['-c', '-f', `ffmpeg .*${url}`], { encoding: 'utf8' });
  return Number(r.stdout.trim() || 0);
}

describe('continuous recording on the media node (real node, RTSP simulator, Redis stream, ffmpeg checks)', () => {
  let sim: RtspSim;
  let lossSim: RtspSim | undefined;
  let lossPort: number;
  let t: TestNode;
  let disk: TestDisk;
  let dir: string;
  let nodeId: string;
  let fromId = '0-0';
  let redis: Redis;

  const cam1 = () => ({
    cameraId: 'rec-1',
    profile: 'sub',
    priority: 50,
    source: { kind: 'rtsp', url: `${sim.url}/cam01/sub` },
  });
  const camLow = () => ({
    cameraId: 'rec-low',
    profile: 'sub',
    priority: 10,
    source: { kind: 'rtsp', url: `${sim.url}/cam02/sub` },
  });
  const camLoss = () => ({
    cameraId: 'rec-loss',
    profile: 'sub',
    priority: 50,
    source: { kind: 'rtsp', url: `rtsp://127.0.0.1:${lossPort}/cam01/sub` },
  });

  /** This node's events since the test started, parsed with the contract's schema. */
  async function events(cameraId?: string): Promise<RecordingEvent[]> {
    const entries = (await redis.xrange(RECORDING_EVENTS_STREAM, `(${fromId}`, '+')) as [string, string[]][];
    return entries
      .map(([, fields]) => {
        expect(fields[0]).toBe(RECORDING_EVENT_FIELD);
        return recordingEventSchema.parse(JSON.parse(fields[1] ?? ''));
      })
      .filter((e) => e.node === nodeId && (!cameraId || e.cameraId === cameraId));
  }
  const segments = async (cameraId: string) =>
    (await events(cameraId)).filter((e): e is RecordedSegment => e.kind === 'segment');
  const gaps = async (cameraId: string) =>
    (await events(cameraId)).filter((e): e is RecordingGap => e.kind === 'gap');
  const recordings = async () =>
    ((await (await t.control('GET', '/control/recordings')).json()) as { recordings: RecorderStatus[] })
      .recordings;
  const recording = async (cameraId: string) => (await recordings()).find((r) => r.cameraId === cameraId);
  const plan = async (entries: unknown[]) => {
    const res = await t.control('PUT', '/control/recordings', { plan: entries });
    expect(res.status).toBe(200);
    return ((await res.json()) as { recordings: RecorderStatus[] }).recordings;
  };

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    sim = await startRtspSim({ count: 2, gop: 25 });
    lossPort = await freePort();
    lossSim = await startRtspSim({ count: 1, gop: 25, port: lossPort });
    dir = mkdtempSync(join(tmpdir(), 'recordings-'));
    disk = new TestDisk(dir);
    t = await startTestNode({
      webRtcPort: 21820,
      recordingStorage: disk,
      segmentS: SEGMENT_S,
      minFreeBytes: MIN_FREE,
      idleTimeoutMs: 2000,
    });
    nodeId = t.nodeId;
    const newest = (await redis.xrevrange(RECORDING_EVENTS_STREAM, '+', '-', 'COUNT', 1)) as [
      string,
      string[],
    ][];
    fromId = newest[0]?.[0] ?? '0-0';
  });

  afterAll(async () => {
    await t?.close();
    await lossSim?.close();
    await sim?.close();
    redis?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('validates the plan and needs the node secret', async () => {
    expect((await t.control('GET', '/control/recordings', undefined, 'x'.repeat(43))).status).toBe(401);
    const bad = await t.control('PUT', '/control/recordings', {
      plan: [{ cameraId: 'x', profile: 'sub', priority: 500 }],
    });
    expect(bad.status).toBe(400);
    const twice = await t.control('PUT', '/control/recordings', { plan: [cam1(), cam1()] });
    expect(twice.status).toBe(409);
    expect(await recordings()).toEqual([]);
  });

  it('records a camera without a viewer, and a viewer joining does not open a second connection', async () => {
    const started = await plan([cam1()]);
    expect(started).toMatchObject([
      { cameraId: 'rec-1', profile: 'sub', priority: 50, state: 'starting', segments: 0 },
    ]);
    await waitFor(async () => (await segments('rec-1')).length >= 2, 20_000, 'two segments of rec-1');
    // Nobody watches: the ingest runs for the recorder alone, past the idle timeout (2 s).
    const stream = (await (await t.control('GET', '/control/streams/rec-1/sub')).json()) as StreamStatus;
    expect(stream).toMatchObject({ state: 'live', viewers: 0 });
    expect(t.node.signalling.consumerCount()).toBe(0);
    expect(ingestCount(`${sim.url}/cam01/sub`)).toBe(1);
    // A viewer joins the way signalling does it: ensure the ingest, then acquire it.
    const ensured = await t.control('POST', '/control/ingest', cam1());
    expect(ensured.status).toBe(200);
    const ingest = t.node.ingests.get('rec-1', 'sub');
    if (!ingest) throw new Error('no ingest');
    t.node.ingests.acquire(ingest);
    try {
      expect(t.node.ingests.list().filter((i) => i.cameraId === 'rec-1')).toHaveLength(1);
      expect(ingestCount(`${sim.url}/cam01/sub`)).toBe(1);
      expect(ingest.viewers).toBe(1);
    } finally {
      t.node.ingests.release(ingest);
    }
    const before = (await segments('rec-1')).length;
    await waitFor(async () => (await segments('rec-1')).length > before, 10_000, 'recording goes on');
    expect(ingestCount(`${sim.url}/cam01/sub`)).toBe(1);
  });

  it('writes segments that start on key frames, last about the segment length, follow each other, decode, and match their hash', async () => {
    await waitFor(async () => (await segments('rec-1')).length >= 5, 20_000, 'five segments');
    const segs = (await segments('rec-1')).slice(0, 5);
    expect(await gaps('rec-1')).toEqual([]); // a new node id: nothing recorded before
    for (const [i, s] of segs.entries()) {
      expect(s).toMatchObject({ codec: 'h264', width: 640, height: 360, profile: 'sub' });
      expect(s.storageKey).toBe(
        `rec-1/sub/${new Date(s.startMs).toISOString().slice(0, 10)}/${s.startMs}.mp4`,
      );
      expect(s.durationMs).toBeGreaterThanOrEqual(SEGMENT_S * 1000);
      expect(s.durationMs).toBeLessThanOrEqual(SEGMENT_S * 1000 + GOP_MS);
      expect(Math.abs(s.endMs - s.startMs - s.durationMs)).toBeLessThanOrEqual(FRAME_MS);
      expect(s.frames).toBe(Math.round(s.durationMs / FRAME_MS));
      const next = segs[i + 1];
      if (next) expect(Math.abs(next.startMs - s.endMs)).toBeLessThanOrEqual(FRAME_MS);
      const bytes = await disk.get(s.storageKey);
      if (!bytes) throw new Error(`no file for ${s.storageKey}`);
      expect(bytes.length).toBe(s.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(s.sha256);
      expect(bytes.toString('latin1', s.initBytes + 4, s.initBytes + 8)).toBe('moof');
      const file = join(dir, s.storageKey);
      expect(firstFrame(file)).toMatch(/^1,I(,|$)/);
      expect(Number(probeVideo(file).nb_read_frames)).toBe(s.frames);
      expect(decodeErrors(file)).toBe('');
    }
    const r = await recording('rec-1');
    expect(r).toMatchObject({ state: 'recording', lostPackets: 0, failedWrites: 0 });
    expect(r?.segments).toBeGreaterThanOrEqual(5);
  });

  it('a write that fails leaves a recorder_error gap and no file under its name, then recording goes on', async () => {
    const before = (await segments('rec-1')).length;
    disk.failPuts = 1;
    const gap = await waitFor(
      async () => (await gaps('rec-1')).find((g) => g.reason === 'recorder_error'),
      15_000,
      'error gap',
    );
    expect(gap.detail).toBe('segment not written (EIO)');
    const segs = await segments('rec-1');
    const prev = segs.filter((s) => s.endMs <= gap.fromMs).at(-1);
    expect(prev?.endMs).toBe(gap.fromMs);
    expect(gap.toMs - gap.fromMs).toBeGreaterThanOrEqual(SEGMENT_S * 1000 - FRAME_MS);
    expect(
      existsSync(
        join(dir, 'rec-1/sub', new Date(gap.fromMs).toISOString().slice(0, 10), `${gap.fromMs}.mp4`),
      ),
    ).toBe(false);
    const after = await waitFor(
      async () => (await segments('rec-1')).find((s) => s.startMs >= gap.toMs),
      15_000,
      'a segment after the failed one',
    );
    expect(after.startMs).toBe(gap.toMs);
    expect(before).toBeLessThan((await segments('rec-1')).length);
    expect((await recording('rec-1'))?.failedWrites).toBe(1);
  });

  it('a camera that stops delivering gets a source_lost gap, and recording resumes when it is back', async () => {
    await plan([cam1(), camLoss()]);
    const first = await waitFor(async () => (await segments('rec-loss'))[0], 20_000, 'a rec-loss segment');
    expect(first.width).toBe(640);
    await lossSim?.close();
    lossSim = undefined;
    await waitFor(
      async () => (await recording('rec-loss'))?.state === 'source_lost',
      20_000,
      'source_lost state',
    );
    const lastBefore = (await segments('rec-loss')).at(-1) as RecordedSegment;
    lossSim = await startRtspSim({ count: 1, gop: 25, port: lossPort });
    const gap = await waitFor(async () => (await gaps('rec-loss'))[0], 60_000, 'source_lost gap');
    expect(gap).toMatchObject({ reason: 'source_lost', fromMs: lastBefore.endMs });
    expect(gap.toMs).toBeGreaterThan(gap.fromMs);
    const resumed = await waitFor(
      async () => (await segments('rec-loss')).find((s) => s.startMs >= gap.toMs),
      20_000,
      'a segment after the gap',
    );
    expect(resumed.startMs).toBe(gap.toMs);
    expect((await recording('rec-loss'))?.lastGap).toMatchObject({
      reason: 'source_lost',
      fromMs: gap.fromMs,
      toMs: gap.toMs,
    });
    // One connection again: the source restart did not leave a second ffmpeg behind.
    expect(ingestCount(`rtsp://127.0.0.1:${lossPort}/cam01/sub`)).toBe(1);
    await plan([cam1()]);
  });

  it('storage running out stops the lowest priority first (storage_full), and both resume when space returns', async () => {
    await plan([cam1(), camLow()]);
    await waitFor(async () => (await segments('rec-low')).length >= 1, 20_000, 'a rec-low segment');
    disk.free = MIN_FREE - 1;
    await waitFor(
      async () => (await recordings()).every((r) => r.state === 'storage_full'),
      20_000,
      'both stopped for storage',
    );
    const [low, high] = [await recording('rec-low'), await recording('rec-1')];
    expect(low?.since).toBeLessThanOrEqual(high?.since ?? 0);
    // The node reports the stops (lowest priority first) and the free figure they used, in its
    // heartbeat — written at once, not at the next 5 s beat (R-REC-3: the gateways raise the alarms).
    const beat = await waitFor(
      async () => {
        const info = JSON.parse((await t.redis.get(`media:node:${t.nodeId}`)) ?? '{}') as MediaNodeInfo;
        return info.recording?.stopped.length === 2 ? info.recording : undefined;
      },
      5000,
      'both stops in the heartbeat',
    );
    expect(beat.stopped.map((x) => x.cameraId)).toEqual(['rec-low', 'rec-1']);
    expect(beat).toMatchObject({ freeBytes: MIN_FREE - 1, minFreeBytes: MIN_FREE });
    const written = { low: (await segments('rec-low')).length, high: (await segments('rec-1')).length };
    // Between min and twice min: still stopped (hysteresis), and nothing written.
    disk.free = MIN_FREE * 2 - 1;
    await new Promise((r) => setTimeout(r, SEGMENT_S * 1000 + 500)); // a segment's time must pass: nothing to await
    expect((await recordings()).map((r) => r.state)).toEqual(['storage_full', 'storage_full']);
    expect((await segments('rec-low')).length).toBe(written.low);
    disk.free = MIN_FREE * 2;
    for (const cam of ['rec-low', 'rec-1']) {
      const gap = await waitFor(
        async () => (await gaps(cam)).find((g) => g.reason === 'storage_full'),
        20_000,
        `${cam} storage_full gap`,
      );
      const segs = await segments(cam);
      expect(segs.filter((s) => s.endMs <= gap.fromMs).at(-1)?.endMs).toBe(gap.fromMs);
      const next = await waitFor(
        async () => (await segments(cam)).find((s) => s.startMs >= gap.toMs),
        20_000,
        'resumed',
      );
      expect(next.startMs).toBe(gap.toMs);
    }
    expect(t.node.recordings.volume()?.stopped).toEqual([]);
    disk.free = undefined;
  });

  it('an H.265 camera is recorded as its own H.265 (hvc1) from the one connection that feeds live a transcode, and a segment transcodes to H.264 for playback', async () => {
    const hevc = await startRtspSim({ count: 1, gop: 25, codec: 'h265' });
    const url = `${hevc.url}/cam01/sub`;
    const transcoder = new FfmpegSegmentTranscoder({
      logger: createLogger('silent', 'test'),
      concurrency: 1,
      queueLimit: 2,
      timeoutMs: 30_000,
      cacheBytes: 16 * 1024 * 1024,
    });
    try {
      const entry = { cameraId: 'rec-hevc', profile: 'sub', priority: 50, source: { kind: 'rtsp', url } };
      await plan([cam1(), entry]);
      await waitFor(async () => (await segments('rec-hevc')).length >= 2, 40_000, 'two H.265 segments');
      expect(await gaps('rec-hevc')).toEqual([]);
      expect(await recording('rec-hevc')).toMatchObject({ state: 'recording', lostPackets: 0 });
      // Live gets the H.264 transcode; the camera is pulled once, by one ffmpeg.
      const stream = (await (await t.control('GET', '/control/streams/rec-hevc/sub')).json()) as StreamStatus;
      expect(stream).toMatchObject({ codec: 'hevc', transcoded: true, state: 'live' });
      expect(ingestCount(url)).toBe(1);
      const [seg, next] = (await segments('rec-hevc')) as [RecordedSegment, RecordedSegment];
      expect(seg).toMatchObject({ codec: 'h265', width: 640, height: 360 });
      expect(Math.abs(next.startMs - seg.endMs)).toBeLessThanOrEqual(FRAME_MS);
      const bytes = await disk.get(seg.storageKey);
      if (!bytes) throw new Error('no H.265 segment file');
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(seg.sha256);
      const file = join(dir, seg.storageKey);
      const probe = probeVideo(file);
      expect(probe).toMatchObject({
        codec_name: 'hevc',
        codec_tag_string: 'hvc1',
        profile: 'Main',
        width: 640,
        height: 360,
      });
      expect(Number(probe.nb_read_frames)).toBe(seg.frames);
      expect(firstFrame(file)).toMatch(/^1,I/);
      expect(decodeErrors(file)).toBe('');

      // Playback: the same segment as H.264 fMP4, init and media apart.
      const out = await transcoder.transcode(Buffer.from(bytes), seg.storageKey);
      expect(out.init.toString('latin1', 4, 8)).toBe('ftyp');
      expect(out.media.toString('latin1', 4, 8)).toBe('moof');
      const h264 = join(dir, 'rec-hevc-h264.mp4');
      writeFileSync(h264, Buffer.concat([out.init, out.media]));
      const played = probeVideo(h264);
      expect(played).toMatchObject({ codec_name: 'h264', width: 640, height: 360, pix_fmt: 'yuv420p' });
      expect(Math.abs(Number(played.nb_read_frames) - seg.frames)).toBeLessThanOrEqual(1);
      expect(Math.abs(Number(played.duration) * 1000 - seg.durationMs)).toBeLessThanOrEqual(FRAME_MS);
      expect(firstFrame(h264)).toMatch(/^1,I/);
      expect(decodeErrors(h264)).toBe('');
      // Again: the cached bytes, without a second ffmpeg.
      const again = await transcoder.transcode(Buffer.from(bytes), seg.storageKey);
      expect(again.init.equals(out.init) && again.media.equals(out.media)).toBe(true);
      expect(transcoder.stats()).toMatchObject({ runs: 1, cachedSegments: 1 });

      // The node's own playback routes serve it the same way (its ffmpeg transcoder, PLAYBACK_TRANSCODE_*):
      // what a browser fetches from a playlist decodes as H.264, shifted to its place on the timeline.
      const pbToken = t.token('rec-hevc', 'sub', { rng: [seg.startMs, seg.endMs + 60_000] });
      const initRes = await fetch(`${t.url}/playback/init/${seg.storageKey}?token=${pbToken}`);
      expect(initRes.status).toBe(200);
      const mediaRes = await fetch(
        `${t.url}/playback/media/${seg.storageKey}?off=8000&sha=${seg.sha256}&token=${pbToken}`,
      );
      expect(mediaRes.status).toBe(200);
      const served = join(dir, 'rec-hevc-served.mp4');
      writeFileSync(
        served,
        Buffer.concat([Buffer.from(await initRes.arrayBuffer()), Buffer.from(await mediaRes.arrayBuffer())]),
      );
      expect(probeVideo(served)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
      expect(decodeErrors(served)).toBe('');
    } finally {
      transcoder.close();
      await plan([cam1()]);
      await hevc.close();
    }
  });

  it('a node restart on the same store and stream starts with a node_restart gap from the last segment end', async () => {
    await plan([cam1()]);
    await waitFor(async () => (await recording('rec-1'))?.state === 'recording', 20_000, 'recording');
    await t.close();
    const lastBefore = (await segments('rec-1')).at(-1) as RecordedSegment;
    // close() wrote the open segment: the stream's last event for the camera is it.
    t = await startTestNode({
      webRtcPort: 21820,
      nodeId,
      recordingStorage: disk,
      segmentS: SEGMENT_S,
      minFreeBytes: MIN_FREE,
    });
    await plan([cam1()]);
    const gap = await waitFor(
      async () => (await gaps('rec-1')).find((g) => g.reason === 'node_restart'),
      30_000,
      'node_restart gap',
    );
    expect(gap.fromMs).toBe(lastBefore.endMs);
    const next = await waitFor(
      async () => (await segments('rec-1')).find((s) => s.startMs >= gap.toMs),
      20_000,
      'after restart',
    );
    expect(next.startMs).toBe(gap.toMs);
    // Switched off, then on again: the open segment is written, and the hole is a recording_stopped gap.
    await plan([]);
    expect(await recordings()).toEqual([]);
    const lastWritten = (await segments('rec-1')).at(-1) as RecordedSegment;
    await plan([cam1()]);
    const stopped = await waitFor(
      async () => (await gaps('rec-1')).find((g) => g.reason === 'recording_stopped'),
      20_000,
      'recording_stopped gap',
    );
    expect(stopped.fromMs).toBe(lastWritten.endMs);
    await plan([]);
  });
});
