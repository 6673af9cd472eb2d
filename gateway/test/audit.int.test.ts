import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditBatcher,
  type AuditContent,
  type AuditEntryInput,
  type AuditRow,
  appendAudit,
  auditEntryInputSchema,
  GENESIS_HASH,
  hashAudit,
  listAudit,
  registerAuditRoutes,
  verifyAudit,
  verifyAuditInWorkers,
  writeBatch,
} from '../src/audit/index.ts';

import { type Db, migrate, openDb } from '../src/db/index.ts';
import { AppError } from '../src/lib/app-error.ts';
import { createTempDatabase, TEST_DATABASE_URL } from './services.ts';

const APP_ROLE_SQL = readFileSync(new URL('../../infra/sql/app-role.sql', import.meta.url), 'utf8');

const entry = (over: Partial<AuditEntryInput> = {}): AuditEntryInput => ({
  actorId: '6f1c7f0e-3c55-4f7e-9d2a-8f8f0c1d2e3f',
  actorName: 'auditor.li',
  action: 'camera.view',
  targetKind: 'camera',
  targetId: 'cam-1',
  result: 'allow',
  reason: 'grade 2 within clearance 3',
  address: '10.0.0.7',
  ...over,
});

const append = (db: Db, over: Partial<AuditEntryInput> = {}) =>
  db.transaction((tx) => appendAudit(tx, entry(over)));
const count = async (db: Db) =>
  Number((await db.query<{ n: string | number }>('SELECT count(*) AS n FROM audit_log')).rows[0]?.n);

async function openEngine(kind: 'postgres' | 'pglite') {
  if (kind === 'pglite') {
    const db = await openDb({ pgliteDir: 'memory://' });
    await migrate(db);
    return { db, drop: async () => undefined, url: undefined };
  }
  const temp = await createTempDatabase();
  const db = await openDb({ databaseUrl: temp.url }).catch(async (err) => {
    await temp.drop();
    throw err;
  });
  await migrate(db);
  return { db, drop: temp.drop, url: temp.url };
}

describe.each(['postgres', 'pglite'] as const)('audit log on %s', (kind) => {
  let db: Db;
  let drop: () => Promise<void>;
  let url: string | undefined;

  beforeAll(async () => {
    ({ db, drop, url } = await openEngine(kind));
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('appends a chain whose hashes cover the canonical form', async () => {
    const first = await append(db, {
      actorId: '6F1C7F0E-3C55-4F7E-9D2A-8F8F0C1D2E3F',
      reason: 'nul\u0000 and lone \ud800 surrogate',
      emergency: true,
      detail: {
        zeta: 1,
        alpha: { b: [1, 'x', null, true], a: -0 },
        '10': 'ten',
        '9': 'nine',
        skip: undefined,
      },
    });
    expect(first).toMatchObject({
      seq: 1,
      actorId: '6f1c7f0e-3c55-4f7e-9d2a-8f8f0c1d2e3f',
      reason: 'nul\ufffd and lone \ufffd surrogate',
      emergency: true,
      detail: { zeta: 1, alpha: { b: [1, 'x', null, true], a: 0 }, '10': 'ten', '9': 'nine' },
      prevHash: GENESIS_HASH,
    });
    expect(Math.abs(first.at.getTime() - Date.now())).toBeLessThan(60_000);
    // The canonical form, spelled out: fixed order, ISO UTC with ms, detail keys sorted.
    const canonical =
      `["wall-audit/1",1,"${first.at.toISOString()}","6f1c7f0e-3c55-4f7e-9d2a-8f8f0c1d2e3f","auditor.li",` +
      `"camera.view","camera","cam-1","allow","nul\ufffd and lone \ufffd surrogate","10.0.0.7",true,` +
      `{"10":"ten","9":"nine","alpha":{"a":0,"b":[1,"x",null,true]},"zeta":1},"${GENESIS_HASH}"]`;
    expect(first.hash).toBe(createHash('sha256').update(canonical).digest('hex'));

    const second = await append(db, { actorId: null, targetKind: null, targetId: null, result: 'deny' });
    expect(second).toMatchObject({
      seq: 2,
      prevHash: first.hash,
      actorId: null,
      targetKind: null,
      detail: {},
    });
    expect(second.at.getTime()).toBeGreaterThanOrEqual(first.at.getTime());
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: 2 });
  });

  it('keeps one chain under 20 concurrent transactions', async () => {
    const before = await count(db);
    const rows = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction(async (tx) => {
          // The audited change comes first, the entry last (as the chain's lock asks).
          await tx.query('SELECT pg_sleep(0.005)');
          return appendAudit(tx, entry({ targetId: `cam-${i}` }));
        }),
      ),
    );
    expect(rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => before + i + 1),
    );
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: before + 20 });
  });

  it('group-commits concurrent appends as one unbroken chain, interleaved with per-change appends', async () => {
    const before = await count(db);
    const batcher = new AuditBatcher(db, { maxBatch: 64 });
    const batched = Array.from({ length: 300 }, (_, i) =>
      batcher.append(entry({ action: 'camera.live', targetId: `cam-b${i}` })),
    );
    // Per-change appends in their own transactions race the batches for the chain lock.
    const single = Array.from({ length: 10 }, (_, i) =>
      append(db, { action: 'registry.update', targetId: `s${i}` }),
    );
    const rows = await Promise.all(batched);
    await Promise.all(single);
    expect(rows.map((r) => r.targetId)).toEqual(Array.from({ length: 300 }, (_, i) => `cam-b${i}`));
    // Each resolved row is the stored one: its hash verifies and it is in the table.
    for (const r of rows.slice(0, 5)) expect(r.hash).toBe(hashAudit(r));
    const seqs = rows.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(300);
    expect(await count(db)).toBe(before + 310);
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: before + 310 });
    // A batch larger than one INSERT may carry (the protocol's 65 535 parameters) is split and
    // still one chain, in one transaction.
    const big = await db.transaction((tx) =>
      writeBatch(
        tx,
        Array.from({ length: 4700 }, (_, i) => auditEntryInputSchema.parse(entry({ targetId: `big-${i}` }))),
      ),
    );
    expect(big.map((r) => r.seq)).toEqual(Array.from({ length: 4700 }, (_, i) => before + 311 + i));
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: before + 310 + 4700 });
    // A bad entry fails alone, before it is queued; the others still land.
    const bad = batcher.append(entry({ action: 'Not An Action' }));
    const good = batcher.append(entry({ targetId: 'after-bad' }));
    await expect(bad).rejects.toThrow();
    expect((await good).seq).toBe(before + 310 + 4700 + 1);
    await batcher.close();
    await batcher.close();
    await expect(batcher.append(entry())).rejects.toThrow('closed');
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: before + 310 + 4700 + 1 });
  });

  it('writes a batch on a head it knows in one statement, and the long way once the head moved', async () => {
    let transactions = 0;
    const counted = new Proxy(db, {
      get(target, key) {
        if (key === 'transaction') {
          return (fn: Parameters<Db['transaction']>[0]) => {
            transactions += 1;
            return target.transaction(fn);
          };
        }
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const before = await count(db);
    const batcher = new AuditBatcher(counted);
    const first = await batcher.append(entry({ targetId: 'head-1' }));
    expect(transactions).toBe(1); // the head is not known yet
    const second = await batcher.append(entry({ targetId: 'head-2' }));
    expect(transactions).toBe(1); // one guarded statement on the head it wrote
    expect(second.seq).toBe(first.seq + 1);
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).toBe(hashAudit(second));
    expect(second.at.getTime()).toBeGreaterThanOrEqual(first.at.getTime());
    // Another writer moves the head: the guarded insert inserts nothing, the long way writes it.
    const other = await append(db, { action: 'registry.update', targetId: 'moved' });
    const third = await batcher.append(entry({ targetId: 'head-3' }));
    expect(transactions).toBe(2);
    expect(third.seq).toBe(other.seq + 1);
    expect(third.prevHash).toBe(other.hash);
    const fourth = await batcher.append(entry({ targetId: 'head-4' }));
    expect(transactions).toBe(2);
    expect(fourth.prevHash).toBe(third.hash);
    await batcher.close();
    expect(await count(db)).toBe(before + 5);
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: before + 5 });
  });

  it('leaves no entry behind a rolled-back transaction', async () => {
    const before = await count(db);
    await expect(
      db.transaction(async (tx) => {
        await appendAudit(tx, entry({ action: 'registry.update' }));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await count(db)).toBe(before);
    const next = await append(db);
    expect(next.seq).toBe(before + 1);
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: before + 1 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE, and entries that do not extend the chain', async () => {
    await expect(db.query(`UPDATE audit_log SET reason = 'x' WHERE seq = 1`)).rejects.toThrow(
      'audit_log is append-only: UPDATE refused',
    );
    await expect(db.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(
      'audit_log is append-only: DELETE refused',
    );
    await expect(db.query('TRUNCATE audit_log')).rejects.toThrow(
      'audit_log is append-only: TRUNCATE refused',
    );
    const head = (await listAudit(db, { limit: 1 })).entries[0];
    if (!head) throw new Error('no entry');
    const forged = (seq: number, prev: string) =>
      db.query(
        `INSERT INTO audit_log (seq, at, actor_name, action, result, prev_hash, hash)
         VALUES ($1, now(), 'x', 'x', 'ok', $2, $2)`,
        [seq, prev],
      );
    await expect(forged(head.seq + 1, GENESIS_HASH)).rejects.toThrow('does not extend the chain');
    await expect(forged(head.seq + 2, head.hash)).rejects.toThrow('does not extend the chain');
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: head.seq });
  });

  /** Runs statements with the triggers off, as only a superuser can. */
  const asSuperuser = (sql: string, params: unknown[] = []) =>
    db.transaction(async (tx) => {
      await tx.exec('SET LOCAL session_replication_role = replica');
      await tx.query(sql, params);
    });
  /** An entry exactly as stored, to put it back after tampering. */
  const snapshot = async (seq: number) =>
    (await db.query<{ j: string }>('SELECT row_to_json(a)::text AS j FROM audit_log a WHERE seq = $1', [seq]))
      .rows[0]?.j;
  const restore = async (json: string | undefined) => {
    await asSuperuser('DELETE FROM audit_log WHERE seq = ($1::json ->> $2)::bigint', [json, 'seq']);
    await asSuperuser('INSERT INTO audit_log SELECT * FROM json_populate_record(NULL::audit_log, $1::json)', [
      json,
    ]);
  };

  it('reports the first altered entry (superuser, triggers off)', async () => {
    const total = await count(db);
    const k = 5;
    const original = await snapshot(k);
    await asSuperuser(`UPDATE audit_log SET reason = 'nothing happened' WHERE seq = $1`, [k]);
    expect(await verifyAudit(db)).toEqual({ ok: false, brokenAt: k, entries: k - 1, why: 'hash' });
    // Across batch boundaries too.
    expect(await verifyAudit(db, { batchSize: 3 })).toEqual({
      ok: false,
      brokenAt: k,
      entries: k - 1,
      why: 'hash',
    });
    await restore(original);
    expect(await verifyAudit(db, { batchSize: 3 })).toEqual({ ok: true, entries: total });

    // Below the millisecond, which a parsed Date would round away.
    await asSuperuser(`UPDATE audit_log SET at = at + interval '1 microsecond' WHERE seq = $1`, [k]);
    expect(await verifyAudit(db)).toEqual({ ok: false, brokenAt: k, entries: k - 1, why: 'hash' });
    await restore(original);

    // jsonb detail: a changed value; then the entry re-hashed, and its successor's link breaks.
    await asSuperuser(`UPDATE audit_log SET detail = '{"zeta": 2}' WHERE seq = $1`, [k]);
    expect(await verifyAudit(db)).toEqual({ ok: false, brokenAt: k, entries: k - 1, why: 'hash' });
    const [row] = (await listAudit(db, { before: k + 1, limit: 1 })).entries;
    if (!row) throw new Error('no entry');
    const { hash: _old, ...content } = row;
    await asSuperuser('UPDATE audit_log SET hash = $2 WHERE seq = $1', [
      k,
      hashAudit(content satisfies AuditContent),
    ]);
    expect(await verifyAudit(db)).toEqual({ ok: false, brokenAt: k + 1, entries: k, why: 'link' });
    await restore(original);
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: total });
  });

  it('reports a deleted entry as a gap (superuser, trigger disabled)', async () => {
    const total = await count(db);
    const k = 4;
    const [first, kth] = [await snapshot(1), await snapshot(k)];
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete');
      await tx.query('DELETE FROM audit_log WHERE seq = $1', [k]);
      await tx.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_delete');
    });
    expect(await count(db)).toBe(total - 1);
    expect(await verifyAudit(db)).toEqual({ ok: false, brokenAt: k, entries: k - 1, why: 'gap' });
    // Moving the next entry into the hole breaks the link instead (and its hash: seq is hashed).
    await asSuperuser('UPDATE audit_log SET seq = $1 WHERE seq = $2', [k, k + 1]);
    expect(await verifyAudit(db)).toEqual({ ok: false, brokenAt: k, entries: k - 1, why: 'link' });
    await asSuperuser('UPDATE audit_log SET seq = $2 WHERE seq = $1', [k, k + 1]);
    // The first entry too.
    await asSuperuser('DELETE FROM audit_log WHERE seq = 1');
    expect(await verifyAudit(db)).toEqual({ ok: false, brokenAt: 1, entries: 0, why: 'gap' });
    // Put back exactly, the chain verifies again.
    await restore(first);
    await restore(kth);
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: total });
  });

  it.runIf(kind === 'postgres')(
    'verifies in worker threads with the same verdicts, breaks where ranges join included',
    async () => {
      if (!url) throw new Error('no database URL');
      const dbUrl = url;
      for (let i = 0; i < 30; i++) await append(db, { targetId: `range-${i}` });
      const total = await count(db);
      const workers = 3;
      const size = Math.ceil(total / workers);
      const both = async () => {
        const inWorkers = await verifyAuditInWorkers(dbUrl, { workers, minPerWorker: 1 });
        expect(inWorkers).toEqual(await verifyAudit(db));
        return inWorkers;
      };
      expect(await both()).toEqual({ ok: true, entries: total });
      // An altered entry first, last and either side of a join between ranges.
      for (const k of [1, size, size + 1, 2 * size + 2, total]) {
        const original = await snapshot(k);
        await asSuperuser(`UPDATE audit_log SET reason = 'tampered' WHERE seq = $1`, [k]);
        expect(await both()).toEqual({ ok: false, brokenAt: k, entries: k - 1, why: 'hash' });
        await restore(original);
      }
      // The last entry of a range altered and re-hashed: the next range's first link breaks.
      const original = await snapshot(size);
      const [row] = (await listAudit(db, { before: size + 1, limit: 1 })).entries;
      if (!row) throw new Error('no entry');
      const { hash: _h, ...content } = { ...row, reason: 'rewritten' };
      await asSuperuser(`UPDATE audit_log SET reason = 'rewritten', hash = $2 WHERE seq = $1`, [
        size,
        hashAudit(content satisfies AuditContent),
      ]);
      expect(await both()).toEqual({ ok: false, brokenAt: size + 1, entries: size, why: 'link' });
      // The last entry of a range deleted: that range comes up short.
      await asSuperuser('DELETE FROM audit_log WHERE seq = $1', [size]);
      expect(await both()).toEqual({ ok: false, brokenAt: size, entries: size - 1, why: 'gap' });
      await asSuperuser(
        'INSERT INTO audit_log SELECT * FROM json_populate_record(NULL::audit_log, $1::json)',
        [original],
      );
      expect(await both()).toEqual({ ok: true, entries: total });
    },
  );

  it('lists entries by filter, newest first, with keyset paging', async () => {
    const marker = `list-${randomBytes(4).toString('hex')}`;
    const actorId = randomUUID();
    const made: AuditRow[] = [];
    for (let i = 0; i < 7; i++) {
      made.push(
        await append(db, {
          actorId,
          actorName: marker,
          action: i % 2 ? 'auth.login' : 'registry.update',
          targetKind: 'user',
          targetId: `u-${i}`,
          result: i % 3 === 0 ? 'deny' : 'ok',
          emergency: i === 6,
        }),
      );
    }
    const seqs = (rows: { seq: number }[]) => rows.map((r) => r.seq);
    const bySeq = (...idx: number[]) => idx.map((i) => made[i]?.seq);

    const p1 = await listAudit(db, { actorId, limit: 3 });
    expect(seqs(p1.entries)).toEqual(bySeq(6, 5, 4));
    expect(p1.nextBefore).toBe(made[4]?.seq);
    const p2 = await listAudit(db, { actorId, limit: 3, before: p1.nextBefore ?? 0 });
    expect(seqs(p2.entries)).toEqual(bySeq(3, 2, 1));
    const p3 = await listAudit(db, { actorId, limit: 3, before: p2.nextBefore ?? 0 });
    expect(seqs(p3.entries)).toEqual(bySeq(0));
    expect(p3.nextBefore).toBeNull();

    expect(seqs((await listAudit(db, { actor: marker, action: 'auth.login' })).entries)).toEqual(
      bySeq(5, 3, 1),
    );
    expect(seqs((await listAudit(db, { actor: marker, result: 'deny' })).entries)).toEqual(bySeq(6, 3, 0));
    expect(seqs((await listAudit(db, { actor: marker, emergency: true })).entries)).toEqual(bySeq(6));
    expect(
      seqs((await listAudit(db, { targetKind: 'user', targetId: 'u-2', actor: marker })).entries),
    ).toEqual(bySeq(2));
    const at = made[3]?.at.toISOString() ?? '';
    const inRange = await listAudit(db, {
      actor: marker,
      from: at,
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(seqs(inRange.entries)).toEqual(
      made
        .filter((m) => m.at.toISOString() >= at)
        .map((m) => m.seq)
        .reverse(),
    );
    expect(await listAudit(db, { actor: marker, to: made[0]?.at.toISOString() ?? '' })).toEqual({
      entries: [],
      nextBefore: null,
    });
    expect((await listAudit(db, { actorId, limit: 1 })).entries[0]).toEqual(made[6]);
  });
});

describe('the application role on PostgreSQL (infra/sql/app-role.sql)', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `wall_owner_t${suffix}`;
  const appRole = `wall_app_t${suffix}`;
  const script = APP_ROLE_SQL.replace(/\bwall_owner\b/g, owner).replace(/\bwall_app\b/g, appRole);
  let temp: Awaited<ReturnType<typeof createTempDatabase>>;
  let superuser: pg.Client;
  let ownerDb: Db;
  let appDb: Db;

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
    appDb = await openDb({ databaseUrl: urlAs(appRole) });
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

  const privileges = async (table: string) =>
    (
      await superuser.query<{ p: string }>(
        `SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES']) p
          WHERE has_table_privilege($1, $2, p) ORDER BY p`,
        [appRole, table],
      )
    ).rows.map((r) => r.p);

  it('may append, read and verify, nothing more — right after the migration and after a re-run', async () => {
    expect(await privileges('audit_log')).toEqual(['INSERT', 'SELECT']);
    expect(await privileges('cameras')).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    await superuser.query(script);
    expect(await privileges('audit_log')).toEqual(['INSERT', 'SELECT']);

    const a = await appDb.transaction((tx) => appendAudit(tx, entry()));
    const b = await appDb.transaction((tx) => appendAudit(tx, entry({ result: 'deny' })));
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(await verifyAudit(appDb)).toEqual({ ok: true, entries: 2 });
    expect((await listAudit(appDb)).entries.map((e) => e.seq)).toEqual([2, 1]);
  });

  it.each([
    [`UPDATE audit_log SET reason = 'x'`, 'permission denied for table audit_log'],
    ['DELETE FROM audit_log', 'permission denied for table audit_log'],
    ['TRUNCATE audit_log', 'permission denied for table audit_log'],
    ['ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update', 'must be owner of table audit_log'],
    ['ALTER TABLE audit_log DISABLE TRIGGER ALL', 'must be owner of table audit_log'],
    ['DROP TRIGGER audit_log_no_delete ON audit_log', 'must be owner of relation audit_log'],
    ['DROP TABLE audit_log', 'must be owner of table audit_log'],
    [
      'SET session_replication_role = replica',
      'permission denied to set parameter "session_replication_role"',
    ],
    [
      `CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'`,
      'permission denied for schema public',
    ],
    ['CREATE TABLE audit_shadow (seq bigint)', 'permission denied for schema public'],
  ])('refuses %s', async (sql, message) => {
    await expect(appDb.query(sql)).rejects.toThrow(message);
    expect(await verifyAudit(appDb)).toMatchObject({ ok: true });
  });
});

const READER_ID = {
  auditor: '00000000-0000-4000-8000-00000000a0d1',
  operator: '00000000-0000-4000-8000-0000000000e1',
};

describe('audit routes', () => {
  let db: Db;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await openDb({ pgliteDir: 'memory://' });
    await migrate(db);
    for (let i = 0; i < 3; i++) await append(db, { targetId: `cam-${i}` });
    app = Fastify();
    app.setErrorHandler((err, _req, reply) =>
      err instanceof AppError
        ? reply.code(err.status).send({ code: err.code, message: err.message })
        : reply.code(500).send({ code: 'internal', message: 'internal error' }),
    );
    registerAuditRoutes(app, {
      db,
      reader: (req) => {
        const role = req.headers['x-test-role'];
        if (typeof role !== 'string') throw new AppError('unauthenticated', 'sign in first');
        return {
          id: role === 'auditor' ? READER_ID.auditor : READER_ID.operator,
          username: `${role}.user`,
          roles: [role],
        };
      },
      // Straight into the chain, like the gateway's group commit.
      audit: async (e) => {
        await db.transaction((tx) => appendAudit(tx, e));
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const auditor = { 'x-test-role': 'auditor' };
  /** The newest entry of the log, read past the routes. */
  const head = async () => (await listAudit(db, { limit: 1 })).entries[0];

  it('answers auditors only, and writes each refusal to the log', async () => {
    for (const [url, action] of [
      ['/api/audit', 'audit.read'],
      ['/api/audit/verify', 'audit.verify'],
    ] as const) {
      const before = (await head())?.seq ?? 0;
      const res = await app.inject({ url, headers: { 'x-test-role': 'operator' } });
      expect([res.statusCode, res.json()]).toEqual([
        403,
        { code: 'forbidden:role', message: 'only auditors read the audit log' },
      ]);
      expect(await head()).toMatchObject({
        seq: before + 1,
        actorId: READER_ID.operator,
        actorName: 'operator.user',
        action,
        targetKind: 'audit_log',
        result: 'deny',
        reason: 'forbidden:role',
        address: '127.0.0.1',
      });
    }
    // Without a session: 401, and no actor to write down.
    const before = (await head())?.seq;
    const res = await app.inject({ url: '/api/audit' });
    expect([res.statusCode, res.json().code]).toEqual([401, 'unauthenticated']);
    expect((await head())?.seq).toBe(before);
  });

  it('lists with filters and paging, and writes each read to the log with its filters', async () => {
    const res = await app.inject({
      url: '/api/audit?targetKind=camera&result=allow&limit=2',
      headers: auditor,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.entries.map((e: { seq: number; targetId: string }) => [e.seq, e.targetId])).toEqual([
      [3, 'cam-2'],
      [2, 'cam-1'],
    ]);
    expect(body.nextBefore).toBe(2);
    expect(body.entries[0].at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const read = await head();
    expect(read).toMatchObject({
      actorId: READER_ID.auditor,
      actorName: 'auditor.user',
      action: 'audit.read',
      targetKind: 'audit_log',
      result: 'ok',
      reason: null,
      detail: { filters: { targetKind: 'camera', result: 'allow', limit: 2 }, returned: 2 },
    });
    const next = await app.inject({ url: '/api/audit?before=2&limit=2', headers: auditor });
    expect(next.json().entries.map((e: { seq: number }) => e.seq)).toEqual([1]);
    expect(await head()).toMatchObject({
      seq: (read?.seq ?? 0) + 1,
      action: 'audit.read',
      detail: { filters: { before: 2, limit: 2 }, returned: 1 },
    });
    // The reads are themselves entries an auditor finds.
    const reads = await app.inject({ url: '/api/audit?action=audit.read&result=ok', headers: auditor });
    expect(reads.json().entries.map((e: { seq: number }) => e.seq)).toEqual([
      (read?.seq ?? 0) + 1,
      read?.seq,
    ]);
  });

  it.each([
    ['limit=501', 'limit'],
    ['result=maybe', 'result'],
    ['from=yesterday', 'from'],
    ['colour=red', 'colour'],
  ])('refuses ?%s', async (qs, field) => {
    const res = await app.inject({ url: `/api/audit?${qs}`, headers: auditor });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid:request', message: expect.stringContaining(field) });
  });

  it('verifies, and writes the verdict to the log', async () => {
    const before = (await head())?.seq ?? 0;
    const res = await app.inject({ url: '/api/audit/verify', headers: auditor });
    expect([res.statusCode, res.json()]).toEqual([200, { ok: true, entries: before }]);
    expect(await head()).toMatchObject({
      seq: before + 1,
      actorId: READER_ID.auditor,
      action: 'audit.verify',
      result: 'ok',
      reason: null,
      detail: { ok: true, entries: before },
    });
    // The verdict's own entry extends a chain that still verifies.
    expect(await verifyAudit(db)).toEqual({ ok: true, entries: before + 1 });
  });
});
