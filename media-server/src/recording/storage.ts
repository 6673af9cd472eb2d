import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, statfs, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { storageKeySchema } from '@wall/protocol';

/** A stored segment as read back, with what identifies this version of it (size, modification time). */
export interface StoredSegment {
  bytes: Buffer;
  size: number;
  mtimeMs: number;
}

export interface StorageSpace {
  totalBytes: number;
  freeBytes: number;
}

/**
 * Where segments go. `put` is atomic: once it resolves the bytes are durable under `key`, and a
 * failure (or a crash) never leaves part of them under that name. Keys are `storageKeySchema` paths.
 */
export interface RecordingStorage {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under `key`, or undefined when there are none. */
  get(key: string): Promise<Buffer | undefined>;
  /** The bytes under `key` with their size and modification time (playback), or undefined. */
  read(key: string): Promise<StoredSegment | undefined>;
  /** Whether something was deleted. */
  delete(key: string): Promise<boolean>;
  statfs(): Promise<StorageSpace>;
}

function checkKey(key: string): string {
  if (!storageKeySchema.safeParse(key).success) {
    throw new RangeError(`not a valid storage key: ${JSON.stringify(key.slice(0, 80))}`);
  }
  return key;
}

/**
 * Files under a root directory: `put` writes a temporary name beside the final one, fsyncs it,
 * renames it into place and fsyncs the directory, so the final name only ever holds whole files.
 */
export class FsStorage implements RecordingStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  #path(key: string): string {
    return join(this.root, checkKey(key));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(key);
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    let written = false;
    try {
      const fh = await open(tmp, 'wx', 0o640);
      try {
        let offset = 0;
        while (offset < bytes.length) {
          const { bytesWritten } = await fh.write(bytes, offset, bytes.length - offset);
          offset += bytesWritten;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      written = true;
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } finally {
      if (!written) await unlink(tmp).catch(() => undefined); // cleanup: the write already failed
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(key: string): Promise<StoredSegment | undefined> {
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(this.#path(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) return undefined;
      // Size and time from the same open file as the bytes: a file replaced meanwhile is not mixed up.
      return { bytes: await fh.readFile(), size: st.size, mtimeMs: st.mtimeMs };
    } finally {
      await fh.close();
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.#path(key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async statfs(): Promise<StorageSpace> {
    await mkdir(this.root, { recursive: true });
    const s = await statfs(this.root);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  }
}

/** Bytes of the regular files under `dir` (recursively; symbolic links not followed); 0 when it is absent. */
export async function bytesUnder(dir: string): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let total = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await bytesUnder(path);
    else if (e.isFile())
      total += await lstat(path).then(
        (st) => st.size,
        () => 0,
      ); // removed meanwhile
  }
  return total;
}

/**
 * A recording volume of a given capacity inside a larger one (RECORDING_CAPACITY_BYTES: a quota, or
 * a test and demo showing a shortfall without filling a disk): the total is `capacityBytes` (or the
 * volume's, when smaller) and free is `capacityBytes − used` (or the volume's free, when smaller),
 * where used is every file under the root — recordings and anything else put there. Used is counted
 * again when older than `recountMs` (default 1 s) and kept up to date by this storage's own writes.
 */
export class CappedStorage implements RecordingStorage {
  readonly #inner: FsStorage;
  readonly #capacityBytes: number;
  readonly #recountMs: number;
  #used: { bytes: number; at: number } | undefined;

  constructor(inner: FsStorage, capacityBytes: number, recountMs = 1000) {
    this.#inner = inner;
    this.#capacityBytes = capacityBytes;
    this.#recountMs = recountMs;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.#inner.put(key, bytes);
    if (this.#used) this.#used.bytes += bytes.length;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.#inner.get(key);
  }

  read(key: string): Promise<StoredSegment | undefined> {
    return this.#inner.read(key);
  }

  async delete(key: string): Promise<boolean> {
    const deleted = await this.#inner.delete(key);
    if (deleted) this.#used = undefined;
    return deleted;
  }

  async statfs(): Promise<StorageSpace> {
    const volume = await this.#inner.statfs();
    const now = Date.now();
    if (!this.#used || now - this.#used.at >= this.#recountMs) {
      this.#used = { bytes: await bytesUnder(this.#inner.root), at: now };
    }
    return {
      totalBytes: Math.min(volume.totalBytes, this.#capacityBytes),
      freeBytes: Math.max(0, Math.min(volume.freeBytes, this.#capacityBytes - this.#used.bytes)),
    };
  }
}
