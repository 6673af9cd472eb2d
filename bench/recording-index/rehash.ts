// The verifier's file re-hash throughput (R-REC-2): real segment files on disk in the media node's
// layout, indexed, then `verifyRecordings` with the filesystem storage — once from the page cache
// (just written) and once cold (each file's cached pages dropped with `dd iflag=nocache`, checked
// with `fincore`). Used by index.ts; a section of its own so the other cases merge cleanly.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Db } from '../../gateway/src/db/index.ts';
import { fileStorage, insertSegment, verifyRecordings } from '../../gateway/src/recordings/index.ts';

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const round = (x: number) => Math.round(x * 100) / 100;

export interface RehashOptions {
  dir: string;
  files: number;
  bytesPerFile: number;
  segMs: number;
  /** MB/s the verifier should at least re-hash. */
  targetMBps: number;
  print: (line: string) => void;
}

/** Pages of `path` resident in the page cache (fincore), or undefined when it cannot tell. */
function residentBytes(path: string): number | undefined {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.status === 0 && Number.isFinite(n) ? n : undefined;
}

export async function rehashThroughput(db: Db, o: RehashOptions) {
  const cameraId = (await db.query<{ id: string }>('SELECT id FROM cameras ORDER BY id DESC LIMIT 1')).rows[0]
    ?.id;
  if (!cameraId) throw new Error('no camera');
  const t0 = Date.now() - 86_400_000;
  const paths: string[] = [];
  // One random block, varied per file (different hashes, no time spent making random bytes).
  const block = randomBytes(o.bytesPerFile);
  for (let i = 0; i < o.files; i++) {
    const startMs = t0 + i * o.segMs;
    const storageKey = `${cameraId}/main/${new Date(startMs).toISOString().slice(0, 10)}/${startMs}.mp4`;
    const path = join(o.dir, storageKey);
    mkdirSync(dirname(path), { recursive: true });
    block.writeUInt32BE(i, 0);
    const fd = openSync(path, 'w');
    writeSync(fd, block);
    fsyncSync(fd);
    closeSync(fd);
    paths.push(path);
    await db.transaction((tx) =>
      insertSegment(tx, {
        kind: 'segment',
        node: 'bench',
        cameraId,
        profile: 'main',
        startMs,
        endMs: startMs + o.segMs,
        durationMs: o.segMs,
        frames: 100,
        bytes: block.length,
        initBytes: 700,
        sha256: createHash('sha256').update(block).digest('hex'),
        storageKey,
        codec: 'h264',
      }),
    );
  }
  const totalMB = (o.files * o.bytesPerFile) / 1e6;
  const run = async () => {
    const t = process.hrtime.bigint();
    const report = await verifyRecordings(db, { cameraId, storage: fileStorage(o.dir), orphanGraceMs: 0 });
    const seconds = ms(t) / 1000;
    if (!report.ok || report.segments !== o.files) {
      throw new Error(`rehash: ${JSON.stringify(report.firstBroken ?? report.orphans[0])}`);
    }
    return { seconds: round(seconds), MBps: round(totalMB / seconds) };
  };
  const warm = await run();
  for (const p of paths) spawnSync('dd', [`if=${p}`, 'iflag=nocache', 'count=0', 'status=none']);
  const resident = paths.slice(0, 20).map(residentBytes);
  const known = resident.filter((b): b is number => b !== undefined);
  const cacheDropped = known.length > 0 && known.every((b) => b === 0);
  const cold = await run();
  o.print(
    `  re-hash ${o.files} files × ${(o.bytesPerFile / 1e6).toFixed(1)} MB = ${totalMB.toFixed(0)} MB: ` +
      `page cache ${warm.MBps} MB/s, cold ${cold.MBps} MB/s${cacheDropped ? '' : ' (cache drop not confirmed)'} ` +
      `(target ≥ ${o.targetMBps} MB/s: ${round(cold.MBps / o.targetMBps)}× cold, ${round(warm.MBps / o.targetMBps)}× cached)`,
  );
  return {
    files: o.files,
    bytesPerFile: o.bytesPerFile,
    totalMB: round(totalMB),
    fileConcurrency: 8,
    cached: warm,
    cold: { ...cold, cacheDropped },
    targetMBps: o.targetMBps,
    target: 'one node core’s recording rate: 100 cameras × 4 Mbit/s main stream = 50 MB/s (ADR 0010)',
  };
}
