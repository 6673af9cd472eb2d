import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type EnsureIngestRequest, type StreamStatus, streamStatusSchema } from '@wall/protocol';
import { AppError } from '../lib/app-error.ts';

/** Kept-alive connections to the media nodes' control APIs (one request per live access). */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
const TIMEOUT_MS = 5000;
/** A status is a few hundred bytes; anything far larger is not one. */
const MAX_BODY = 256 * 1024;

/**
 * POSTs JSON and reads the answer, in at most TIMEOUT_MS; rejects on a network failure. A kept-alive
 * connection the node closed just as it was reused is retried once on a new one: ensure-ingest is
 * idempotent.
 */
async function postJson(url: URL, secret: string, body: string): Promise<{ status: number; text: string }> {
  try {
    return await postOnce(url, secret, body);
  } catch (err) {
    if ((err as { reusedSocket?: boolean }).reusedSocket) return postOnce(url, secret, body);
    throw err;
  }
}

function postOnce(url: URL, secret: string, body: string): Promise<{ status: number; text: string }> {
  const https = url.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        agent: https ? agents.https : agents.http,
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(new Error('the answer is too large'));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    const deadline = setTimeout(() => req.destroy(new Error('timed out')), TIMEOUT_MS);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && err.code === 'ECONNRESET';
      reject(stale ? Object.assign(err, { reusedSocket: true }) : err);
    });
    req.end(body);
  });
}

/** Asks a media node to ingest a camera profile (its control API, bearer secret). */
export async function ensureIngest(
  controlUrl: string,
  secret: string,
  req: EnsureIngestRequest,
): Promise<StreamStatus> {
  let res: { status: number; text: string };
  try {
    res = await postJson(new URL(`${controlUrl}/control/ingest`), secret, JSON.stringify(req));
  } catch (err) {
    throw new AppError('unavailable:dependency', 'the media node does not answer', { cause: err });
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  if (res.status < 200 || res.status >= 300) {
    const code = (body as { code?: string } | undefined)?.code;
    if (code === 'invalid:source_url')
      throw new AppError('invalid:source_url', 'the camera source URL is not valid');
    throw new AppError('unavailable:dependency', `the media node refused the ingest (${res.status})`);
  }
  const status = streamStatusSchema.safeParse(body);
  if (!status.success)
    throw new AppError('unavailable:dependency', 'the media node answered something unexpected');
  return status.data;
}
