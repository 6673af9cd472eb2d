import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cameraKeyPart, segmentKey } from './recorder.ts';
import { FsStorage } from './storage.ts';

/** Every file under `dir`, relative. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('filesystem storage of segments', () => {
  const root = mkdtempSync(join(tmpdir(), 'rec-store-'));
  // A real full disk for the last test: a 256 KiB tmpfs (needs the right to mount; skipped without it).
  const mnt = mkdtempSync(join(tmpdir(), 'rec-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]).status === 0;
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    if (mounted) spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it('puts, gets and deletes under the key, leaving no temporary file', async () => {
    const s = new FsStorage(root);
    const key = segmentKey('cam-1', 'main', Date.UTC(2026, 11, 8, 23, 59, 59, 500));
    expect(key).toBe('cam-1/main/2026-12-08/1796774399500.mp4');
    await s.put(key, Buffer.from('abc'));
    expect(await s.get(key)).toEqual(Buffer.from('abc'));
    expect(files(root)).toEqual([key]);
    expect(await s.delete(key)).toBe(true);
    expect(await s.delete(key)).toBe(false);
    expect(await s.get(key)).toBeUndefined();
  });

  it('reads a stored file with its size and modification time; nothing for a missing key or a directory', async () => {
    const s = new FsStorage(root);
    const key = segmentKey('cam-2', 'sub', Date.UTC(2026, 11, 8));
    await s.put(key, Buffer.from('segment'));
    const before = Date.now();
    const got = await s.read(key);
    expect(got?.bytes).toEqual(Buffer.from('segment'));
    expect(got?.size).toBe(7);
    expect(got?.mtimeMs).toBeLessThanOrEqual(before + 1);
    expect(await s.read('cam-2/sub/2026-12-08/1.mp4')).toBeUndefined();
    expect(await s.read('cam-2/sub')).toBeUndefined();
    await s.delete(key);
  });

  it('cameraKeyPart keeps path-safe ids and hashes the others, as segmentKey names them', () => {
    expect(cameraKeyPart('0b8f1c1e-1111-4222-8333-444455556666')).toBe(
      '0b8f1c1e-1111-4222-8333-444455556666',
    );
    expect(cameraKeyPart('../x')).toMatch(/^id-[0-9a-f]{32}$/);
    expect(segmentKey('../x', 'main', 0).startsWith(`${cameraKeyPart('../x')}/main/`)).toBe(true);
  });

  it.each([['../escape.mp4'], ['/abs.mp4'], ['a/../../b.mp4'], ['sp ace.mp4']])(
    'refuses the key %j',
    async (key) => {
      await expect(new FsStorage(root).put(key, Buffer.from('x'))).rejects.toThrow(RangeError);
    },
  );

  it('hashes camera ids that are not safe path names', () => {
    expect(segmentKey('../x', 'sub', 0)).toMatch(/^id-[0-9a-f]{32}\/sub\/1970-01-01\/0\.mp4$/);
    expect(segmentKey('34020000001320000001', 'sub', 0)).toBe('34020000001320000001/sub/1970-01-01/0.mp4');
  });

  it('reports the file system space', async () => {
    const space = await new FsStorage(root).statfs();
    expect(space.totalBytes).toBeGreaterThan(0);
    expect(space.freeBytes).toBeGreaterThan(0);
    expect(space.freeBytes).toBeLessThanOrEqual(space.totalBytes);
  });

  it('fails without a trace when the directory cannot be made', async () => {
    const r = join(root, 'blocked');
    mkdirSync(r);
    writeFileSync(join(r, 'cam'), 'a file where the camera directory should be');
    await expect(new FsStorage(r).put('cam/sub/2026-01-01/1.mp4', Buffer.alloc(10))).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
    expect(files(r)).toEqual(['cam']);
  });

  it.skipIf(!mounted)(
    'on a full disk: the write fails, nothing under the final name, no temporary file',
    async () => {
      const s = new FsStorage(mnt);
      const space = await s.statfs();
      expect(space.totalBytes).toBe(256 * 1024);
      await s.put('cam/sub/2026-01-01/1.mp4', Buffer.alloc(100 * 1024, 1));
      await expect(s.put('cam/sub/2026-01-01/2.mp4', Buffer.alloc(400 * 1024, 2))).rejects.toMatchObject({
        code: 'ENOSPC',
      });
      expect(files(mnt)).toEqual(['cam/sub/2026-01-01/1.mp4']);
      expect((await s.get('cam/sub/2026-01-01/1.mp4'))?.length).toBe(100 * 1024);
    },
  );
});
