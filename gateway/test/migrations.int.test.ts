import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, migrate, openDb, readMigrations } from '../src/db/index.ts';
import { createTempDatabase } from './services.ts';

/** A comparable description of a schema: tables, columns, constraints, indexes. */
async function describeSchema(db: Db) {
  const columns = await db.query(
    `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = 'public'
      ORDER BY table_name, ordinal_position`,
  );
  const constraints = await db.query(
    `SELECT cl.relname AS table_name, co.contype, pg_get_constraintdef(co.oid) AS def
       FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
       JOIN pg_namespace n ON n.oid = cl.relnamespace
      -- NOT NULL is compared through the columns: PostgreSQL 18 (PGlite) also lists it here, 15 does not.
      WHERE n.nspname = 'public' AND co.contype <> 'n' ORDER BY 1, 2, 3`,
  );
  const indexes = await db.query(
    `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
  );
  return { columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows };
}

describe('migrations on PGlite and PostgreSQL', () => {
  let pgDb: Db;
  let liteDb: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const temp = await createTempDatabase();
    drop = temp.drop;
    pgDb = await openDb({ databaseUrl: temp.url });
    liteDb = await openDb({ pgliteDir: 'memory://' });
  });

  afterAll(async () => {
    await pgDb?.close();
    await liteDb?.close();
    await drop?.();
  });

  it('applies every migration once on both engines', async () => {
    const all = readMigrations().map((m) => `${m.version}_${m.name}`);
    expect(all.length).toBeGreaterThan(0);
    expect(await migrate(pgDb)).toEqual(all);
    expect(await migrate(liteDb)).toEqual(all);
    // A second run finds nothing to do.
    expect(await migrate(pgDb)).toEqual([]);
    expect(await migrate(liteDb)).toEqual([]);
  });

  it('produces the same schema on PGlite as on PostgreSQL', async () => {
    const onPg = await describeSchema(pgDb);
    const onLite = await describeSchema(liteDb);
    expect(onPg.columns.length).toBeGreaterThan(40);
    expect(onLite).toEqual(onPg);
    expect(onPg.columns.map((c) => c.table_name)).toContain('cameras');
  });

  it('enforces Art. 9 in the database: no camera in a private space', async () => {
    for (const db of [pgDb, liteDb]) {
      const src = await db.query<{ id: string }>(
        `WITH o AS (INSERT INTO organisations (name, tier, department_kind) VALUES ('t-' || gen_random_uuid(), 'city', 'police') RETURNING id)
         INSERT INTO source_systems (name, kind, owner_org_id, funding) SELECT 's', 'rtsp', id, 'government' FROM o RETURNING id`,
      );
      await db.exec(`INSERT INTO districts (code, name, name_en, center_lon, center_lat, geometry)
                     VALUES ('320402', '天宁区', 'Tianning', 120, 31.8, '{}') ON CONFLICT DO NOTHING`);
      const insert = (kind: string) =>
        db.query(
          `INSERT INTO cameras (source_id, external_id, name, lon, lat, district_code, site_category, location_kind, grade)
           VALUES ($1, $2, 'c', 120, 31.8, '320402', 'transport', $3, 1)`,
          [src.rows[0]?.id, `x-${kind}`, kind],
        );
      await expect(insert('toilet')).rejects.toThrow(/check constraint/);
      await expect(insert('road')).resolves.toBeDefined();
    }
  });

  it('refuses to start when an applied migration was edited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    try {
      writeFileSync(join(dir, '001_one.sql'), 'CREATE TABLE t_one (id int);');
      const db = await openDb({ pgliteDir: 'memory://' });
      expect(await migrate(db, readMigrations(dir))).toEqual(['001_one']);
      writeFileSync(join(dir, '001_one.sql'), 'CREATE TABLE t_one (id bigint);');
      await expect(migrate(db, readMigrations(dir))).rejects.toThrow(
        '001_one was changed after it was applied',
      );
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
