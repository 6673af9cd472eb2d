import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, opendir, unlink } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { storageKeySchema } from '@wall/protocol';

/** A segment file as read back now. */
export interface StoredFile {
  sha256: string;
  bytes: number;
}

/**
 * Where the media nodes keep segment files, as the gateway reads (verify) and deletes (retention)
 * them. Keys are the events' `storageKey`s; a key that is not one is refused, never resolved.
 */
export interface RecordingStorage {
  /** SHA-256 and size of the file as stored now; `null` when there is no such file. */
  hash(storageKey: string): Promise<StoredFile | null>;
  /** Deletes the file; a missing one is not an error. */
  remove(storageKey: string): Promise<void>;
  /**
   * Every file under `prefix` (a directory key such as `<cameraId>/main`; absent: all), as keys, in
   * no particular order; a missing prefix lists nothing. Symbolic links are not followed.
   */
  list(prefix?: string): AsyncIterable<{ storageKey: string; mtimeMs: number }>;
}

/** The filesystem backend: `<dir>/<storageKey>`, the layout the media node writes (RECORDING_DIR). */
export function fileStorage(dir: string): RecordingStorage {
  const root = resolve(dir);
  const pathOf = (key: string): string => {
    const parsed = storageKeySchema.safeParse(key);
    if (!parsed.success || isAbsolute(key)) throw new Error('not a storage key');
    const path = resolve(join(root, parsed.data));
    if (!path.startsWith(root + sep)) throw new Error('not a storage key');
    return path;
  };
  return {
    hash(storageKey) {
      const path = pathOf(storageKey);
      return new Promise((done, fail) => {
        const h = createHash('sha256');
        let bytes = 0;
        const stream = createReadStream(path);
        stream.on('data', (chunk) => {
          h.update(chunk);
          bytes += chunk.length;
        });
        stream.on('end', () => done({ sha256: h.digest('hex'), bytes }));
        stream.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' || err.code === 'EISDIR') done(null);
          else fail(err);
        });
      });
    },
    async remove(storageKey) {
      await unlink(pathOf(storageKey)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async *list(prefix) {
      const start = prefix ? pathOf(prefix.replace(/\/+$/, '')) : root;
      const info = await lstat(start).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
        throw err;
      });
      if (!info?.isDirectory()) return;
      const stack = [start];
      for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
        for await (const entry of await opendir(dir)) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) stack.push(path);
          else if (entry.isFile()) {
            const stat = await lstat(path).catch(() => undefined); // gone since the listing: skip
            if (stat)
              yield {
                storageKey: path
                  .slice(root.length + 1)
                  .split(sep)
                  .join('/'),
                mtimeMs: stat.mtimeMs,
              };
          }
        }
      }
    },
  };
}
