import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PortPool } from './port-pool.ts';

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

describe('GB media port pool', () => {
  it('hands out ports round robin, skips ports taken by others, and says when none is left', async () => {
    const base = 39_000 + Math.floor(Math.random() * 500) * 2;
    const other = await listen(base + 1); // another process's port inside the range
    const pool = new PortPool(base, base + 2);
    const servers: Server[] = [other];
    try {
      const a = await pool.acquire(listen);
      servers.push(a.value);
      const b = await pool.acquire(listen);
      servers.push(b.value);
      expect([a.port, b.port]).toEqual([base, base + 2]);
      expect(pool.inUse).toBe(2);
      await expect(pool.acquire(listen)).rejects.toMatchObject({
        code: 'unavailable:dependency',
        status: 503,
      });
      await new Promise((r) => a.value.close(r));
      pool.release(a.port);
      const c = await pool.acquire(listen);
      servers.push(c.value);
      expect(c.port).toBe(base);
    } finally {
      for (const s of servers) s.close();
    }
  });

  it('gives up at once on other bind errors', async () => {
    const pool = new PortPool(30_000, 30_010);
    await expect(
      pool.acquire(() => Promise.reject(Object.assign(new Error('bad address'), { code: 'EADDRNOTAVAIL' }))),
    ).rejects.toThrow('bad address');
    expect(pool.inUse).toBe(0);
  });
});
