import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, migrate, openDb } from '../src/db/index.ts';
import { loadReferenceData } from '../src/db/reference.ts';
import { createTempDatabase, LIYANG, rowWriters, TEST_DATABASE_URL } from './services.ts';

const APP_ROLE_SQL = readFileSync(new URL('../../infra/sql/app-role.sql', import.meta.url), 'utf8');
const DAY = 86_400_000;

// R-REC-1: nothing younger than the retention floor, and nothing under an evidence hold, can be
// deleted by anyone — the application's role and the schema's owner alike; rows never change.
describe('recording_segments triggers, as the application role and the owner (infra/sql/app-role.sql)', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `wall_owner_r${suffix}`;
  const appRole = `wall_app_r${suffix}`;
  const script = APP_ROLE_SQL.replace(/\bwall_owner\b/g, owner).replace(/\bwall_app\b/g, appRole);
  let temp: Awaited<ReturnType<typeof createTempDatabase>>;
  let superuser: pg.Client;
  let ownerDb: Db;
  let appDb: Db;
  let cameraId: string;
  let longCamera: string;
  let userId: string;
  let n = 0;

  const urlAs = (user: string) => {
    const url = new URL(temp.url);
    url.username = user;
    return url.toString();
  };

  beforeAll(async () => {
    temp = await createTempDatabase();
    superuser = new pg.Client({ connectionString: temp.url });
    await superuser.connect();
    await superuser.query(script);
    ownerDb = await openDb({ databaseUrl: urlAs(owner) });
    await migrate(ownerDb);
    await loadReferenceData(ownerDb);
    appDb = await openDb({ databaseUrl: urlAs(appRole) });
    const w = rowWriters(appDb, 'x');
    const org = await w.org('市公安局', 'city', null, 'police');
    userId = await w.user(org, 'officer', 3, []);
    const source = await w.source(org, 'government');
    cameraId = await w.camera(source, 'cam-1', '320481', 1, LIYANG);
    longCamera = await w.camera(source, 'cam-2', '320481', 1, LIYANG);
    await appDb.query('UPDATE cameras SET retention_days = 90 WHERE id = $1', [longCamera]);
  });

  afterAll(async () => {
    await appDb?.close();
    await ownerDb?.close();
    await superuser?.end();
    await temp?.drop();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
      await admin.query(`DROP ROLE IF EXISTS ${owner}`);
    } finally {
      await admin.end();
    }
  });

  /** A segment row that ended `ageDays` ago; resolves with its storage key. */
  const segment = async (camera: string, ageDays: number) => {
    n += 1;
    const end = Date.now() - ageDays * DAY;
    const key = `${camera}/main/${n}.mp4`;
    await appDb.query(
      `INSERT INTO recording_segments (camera_id, profile, node, start_at, end_at, duration_ms, frames, bytes, init_bytes, sha256, storage_key, codec)
       VALUES ($1, 'main', 'node-a', $2, $3, 4000, 100, 1000, 100, $4, $5, 'h264')`,
      [
        camera,
        new Date(end - 4000).toISOString(),
        new Date(end).toISOString(),
        n.toString(16).padStart(64, '0'),
        key,
      ],
    );
    return key;
  };
  const del = (db: Db, key: string) =>
    db.query('DELETE FROM recording_segments WHERE storage_key = $1', [key]);

  it.each([
    ['the application role', () => appDb],
    ['the owner', () => ownerDb],
  ])(
    'refuses %s deleting a segment within retention, or one under a hold; allows an expired one',
    async (_who, as) => {
      const young = await segment(cameraId, 29);
      await expect(del(as(), young)).rejects.toThrow(/within its retention \(30 days\): delete refused/);
      const longKept = await segment(longCamera, 60);
      await expect(del(as(), longKept)).rejects.toThrow(/within its retention \(90 days\)/);
      const held = await segment(cameraId, 40);
      const hold = await appDb.query<{ id: string }>(
        `INSERT INTO evidence_holds (from_at, to_at, reason, case_number, created_by) VALUES ($1, $2, '保全', 'CZ-1', $3) RETURNING id`,
        [
          new Date(Date.now() - 41 * DAY).toISOString(),
          new Date(Date.now() - 39 * DAY).toISOString(),
          userId,
        ],
      );
      const holdId = (hold.rows[0] as { id: string }).id;
      await appDb.query('INSERT INTO evidence_hold_cameras (hold_id, camera_id) VALUES ($1, $2)', [
        holdId,
        cameraId,
      ]);
      await expect(del(as(), held)).rejects.toThrow(/under an evidence hold: delete refused/);
      const expired = await segment(cameraId, 31);
      await del(as(), expired);
      // Released, the hold keeps nothing.
      await appDb.query('UPDATE evidence_holds SET released_at = now(), released_by = $2 WHERE id = $1', [
        holdId,
        userId,
      ]);
      await del(as(), held);
      expect(
        (
          await appDb.query('SELECT storage_key FROM recording_segments WHERE storage_key = ANY($1)', [
            [young, longKept, held, expired],
          ])
        ).rows,
      ).toEqual([{ storage_key: young }, { storage_key: longKept }]);
    },
  );

  it.each([
    [`UPDATE recording_segments SET bytes = 1`, 'rows are never changed'],
    ['TRUNCATE recording_segments', 'permission denied for table recording_segments'],
    ['UPDATE cameras SET retention_days = 29', 'cameras_retention_floor'],
    ['DELETE FROM evidence_holds', 'holds are released, not deleted'],
    ['UPDATE evidence_holds SET released_at = NULL, released_by = NULL', 'only an unreleased hold'],
    ['DELETE FROM evidence_hold_cameras', 'never change'],
    ['ALTER TABLE recording_segments DISABLE TRIGGER ALL', 'must be owner of table recording_segments'],
    [
      'SET session_replication_role = replica',
      'permission denied to set parameter "session_replication_role"',
    ],
  ])('refuses the application role: %s', async (sql, message) => {
    await segment(cameraId, 100);
    await expect(appDb.query(sql)).rejects.toThrow(message);
  });

  it('refuses the owner truncating the index', async () => {
    await segment(cameraId, 100);
    await expect(ownerDb.query('TRUNCATE recording_segments')).rejects.toThrow(/TRUNCATE refused/);
  });

  it('refuses a backwards hold in the database', async () => {
    await expect(
      appDb.query(
        `INSERT INTO evidence_holds (from_at, to_at, reason, case_number, created_by) VALUES (now(), now() - interval '1 day', 'x', 'y', $1)`,
        [userId],
      ),
    ).rejects.toThrow(/evidence_holds_range/);
  });
});
