import { describe, expect, it } from 'vitest';
import { LiveViewerError } from './errors';
import type { LiveViewer } from './viewer-client';
import { ViewerPool } from './viewer-pool';

/** A viewer whose handshake accepts only tokens starting with "ok", one at a time, and remembers the order. */
function fakeViewer(log: string[]) {
  let connected = false;
  let busy = false;
  let closed = 0;
  const viewer = {
    async connect(_url: string, token: string) {
      if (busy) throw new Error('two handshakes at once');
      if (connected) {
        log.push(`pass ${token}`);
        return;
      }
      busy = true;
      await new Promise((r) => setTimeout(r, 5));
      busy = false;
      log.push(`handshake ${token}`);
      if (!token.startsWith('ok')) throw new LiveViewerError(`token:${token}`, 'refused');
      connected = true;
    },
    close() {
      closed++;
    },
    get closes() {
      return closed;
    },
  };
  return viewer;
}

describe('ViewerPool', () => {
  it('one viewer per media node, whatever the trailing slashes', async () => {
    let made = 0;
    const pool = new ViewerPool(undefined, async () => {
      made++;
      return fakeViewer([]) as unknown as LiveViewer;
    });
    const [a, b] = await Promise.all([pool.viewer('http://n1/'), pool.viewer('http://n1')]);
    const c = await pool.viewer('http://n2');
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(made).toBe(2);
    pool.close();
  });

  it('handshakes run one at a time: a refused token fails only its caller', async () => {
    const log: string[] = [];
    const pool = new ViewerPool(undefined, async () => fakeViewer(log) as unknown as LiveViewer);
    const results = await Promise.allSettled([
      pool.connect('http://n', 'expired'),
      pool.connect('http://n', 'signature'),
      pool.connect('http://n', 'ok-1'),
      pool.connect('http://n', 'ok-2'),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as LiveViewerError).code : 'ok'))).toEqual(
      ['token:expired', 'token:signature', 'ok', 'ok'],
    );
    expect(log).toEqual(['handshake expired', 'handshake signature', 'handshake ok-1', 'pass ok-2']);
    pool.close();
  });

  it('close() closes every viewer once and is idempotent', async () => {
    const viewers: ReturnType<typeof fakeViewer>[] = [];
    const pool = new ViewerPool(undefined, async () => {
      const v = fakeViewer([]);
      viewers.push(v);
      return v as unknown as LiveViewer;
    });
    await pool.viewer('http://a');
    await pool.viewer('http://b');
    pool.close();
    pool.close();
    await new Promise((r) => setTimeout(r, 0));
    expect(pool.closed).toBe(true);
    expect(viewers.map((v) => v.closes)).toEqual([1, 1]);
  });
});
