import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, statfs, unlink } from 'node:fs/promises';
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
