import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/index.ts';
import { seedDemo, TIME_STRIP_SOURCE_NAME } from '../src/demo/index.ts';
import { openReferenceDatabase } from './services.ts';

// The time-strip cameras (launcher SIM_STRIP_CAMERAS → gateway DEMO_STRIP_CAMERAS): a simulated
// source of their own, marked `timeStrip` (what RECORDING_PLAN=time_strip records), added on a
// later start too and pointed at the current simulator.
describe('demo seed: time-strip cameras', () => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await openReferenceDatabase());
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const strip = () =>
    db.query<{ external_id: string; state: string; path: string; connection: Record<string, unknown> }>(
      `SELECT c.external_id, c.state, c.profiles->'sub'->>'path' AS path, s.connection
         FROM cameras c JOIN source_systems s ON s.id = c.source_id
        WHERE s.name = $1 ORDER BY c.external_id`,
      [TIME_STRIP_SOURCE_NAME],
    );

  it('files none unless asked, then N in-service cameras on their own source, idempotently', async () => {
    const base = { rtspUrl: 'rtsp://127.0.0.1:18554', simulatedCameras: 2, password: 'demo-password-strip' };
    await seedDemo(db, base);
    expect((await strip()).rows).toEqual([]);

    await seedDemo(db, { ...base, timeStrip: { rtspUrl: 'rtsp://127.0.0.1:18555', cameras: 2 } });
    await seedDemo(db, { ...base, timeStrip: { rtspUrl: 'rtsp://127.0.0.1:18655', cameras: 3 } });
    const rows = (await strip()).rows;
    expect(rows.map((r) => [r.external_id, r.state, r.path])).toEqual([
      ['cam01', 'in_service', '/cam01/sub'],
      ['cam02', 'in_service', '/cam02/sub'],
      ['cam03', 'in_service', '/cam03/sub'],
    ]);
    expect(rows[0]?.connection).toEqual({
      baseUrl: 'rtsp://127.0.0.1:18655',
      simulated: true,
      timeStrip: true,
    });
    const sources = await db.query('SELECT 1 FROM source_systems WHERE name = $1', [TIME_STRIP_SOURCE_NAME]);
    expect(sources.rows).toHaveLength(1);
  });
});
