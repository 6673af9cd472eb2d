import { type EnsureIngestRequest, type StreamStatus, streamStatusSchema } from '@wall/protocol';
import { AppError } from '../lib/app-error.ts';

/** Asks a media node to ingest a camera profile (its control API, bearer secret). */
export async function ensureIngest(
  controlUrl: string,
  secret: string,
  req: EnsureIngestRequest,
): Promise<StreamStatus> {
  let res: Response;
  try {
    res = await fetch(`${controlUrl}/control/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(req),
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    throw new AppError('unavailable:dependency', 'the media node does not answer', { cause: err });
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
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
