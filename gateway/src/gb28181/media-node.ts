import type { ingestStepsSchema, StreamProfile } from '@wall/protocol';
import type { z } from 'zod';

/**
 * The two media-node control calls only GB streams need (ensure-ingest is the live module's):
 * reporting signalling steps to the stream's timeline, and stopping an ingest whose device hung up.
 */
export async function postIngestSteps(
  controlUrl: string,
  secret: string,
  cameraId: string,
  profile: StreamProfile,
  steps: z.input<typeof ingestStepsSchema>,
): Promise<void> {
  const res = await fetch(`${controlUrl}/control/ingest/${encodeURIComponent(cameraId)}/${profile}/steps`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(steps),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`the media node refused the steps (${res.status})`);
}

export async function stopIngest(
  controlUrl: string,
  secret: string,
  cameraId: string,
  profile: StreamProfile,
): Promise<void> {
  const res = await fetch(`${controlUrl}/control/ingest/${encodeURIComponent(cameraId)}/${profile}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${secret}` },
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok && res.status !== 409)
    throw new Error(`the media node refused to stop the ingest (${res.status})`);
}
