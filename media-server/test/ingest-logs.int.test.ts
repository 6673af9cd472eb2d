import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestManager } from '../src/ingest/index.ts';
import type { Logger } from '../src/lib/logger.ts';
import { WorkerPool } from '../src/workers/pool.ts';
import { waitFor } from './media-node.ts';
import { freePort } from './rtsp-sim.ts';

describe('ingest logs', () => {
  const lines: string[] = [];
  const logger: Logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
  let pool: WorkerPool;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    pool = await WorkerPool.create({ size: 1, rtcMinPort: 47800, rtcMaxPort: 47899, logger });
    port = await freePort();
    // A camera that refuses our credentials, echoing nothing back.
    server = createServer((sock) => {
      sock.on('data', (d) => {
        const cseq = /CSeq:\s*(\d+)/i.exec(d.toString())?.[1] ?? '1';
        sock.write(
          `RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`,
        );
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  });

  afterAll(() => {
    server?.close();
    pool?.close();
  });

  it('never contain the credentials of a source URL, even when ffmpeg echoes it', async () => {
    const manager = new IngestManager({ pool, logger, nodeId: 'log-test', idleTimeoutMs: 60_000 });
    try {
      const ingest = await manager.ensure({
        cameraId: 'cam-secret',
        profile: 'sub',
        source: { kind: 'rtsp', url: `rtsp://admin:Sup3r-S3cret@127.0.0.1:${port}/ch1`, transport: 'tcp' },
      });
      await waitFor(() => ingest.state === 'offline', 10_000, 'offline');
      await waitFor(() => lines.some((l) => l.includes('source failed')), 5000, 'failure logged');
      const all = lines.join('');
      expect(all).toContain('rtsp:401');
      // ffmpeg does print the URL; the log keeps it with the credentials cut out.
      expect(all).toContain('rtsp://[redacted]@127.0.0.1');
      expect(all).not.toContain('Sup3r-S3cret');
      expect(all).not.toContain('admin:');
      expect(JSON.stringify(ingest.status())).not.toContain('Sup3r-S3cret');
    } finally {
      manager.close();
    }
  });
});
