import { openDb } from '../db/index.ts';
import { type RangeResult, verifyRange } from './verify.ts';

export interface VerifyRangeJob {
  databaseUrl: string;
  from: number;
  to: number | null;
  batchSize?: number;
}

/** One worker's share of a verify: its own connection, its own range. */
export async function runVerifyRange(job: VerifyRangeJob): Promise<RangeResult> {
  const db = await openDb({ databaseUrl: job.databaseUrl });
  try {
    return await verifyRange(db, job.from, job.to, job.batchSize ? { batchSize: job.batchSize } : {});
  } finally {
    await db.close();
  }
}
