// Access decisions per second on one core (this process is single-threaded): warm — the decision
// cache answers; cold — nothing is kept (TTL 0): every decision reads the camera's facts and the
// open incidents from PostgreSQL, with 32 in flight (the misses of one event-loop turn are read
// together: one query for their cameras, one for the incidents); and the pure policy function alone.
import { Redis } from 'ioredis';
import { DecisionService } from '../../gateway/src/decisions/index.ts';
import { findUserById } from '../../gateway/src/identity/index.ts';
import { createLogger } from '../../gateway/src/lib/logger.ts';
import { decide, type Subject, subjectOf } from '../../gateway/src/policy/index.ts';
import { freshDatabase, REDIS_URL } from './setup.ts';

const TARGET = 20_000;

export async function runPolicy(print: (s: string) => void): Promise<Record<string, unknown>> {
  print('policy: access decisions per second on one core');
  const world = await freshDatabase();
  const redis = new Redis(REDIS_URL);
  const logger = createLogger('silent', 'bench');
  try {
    const { db } = world;
    const subjects: Subject[] = [];
    for (const username of [
      'eoc.operator',
      'police.dispatcher',
      'tianning.staff',
      'wujin.eoc',
      'bank.owner',
    ]) {
      const id = (await db.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [username]))
        .rows[0]?.id;
      const u = id ? await findUserById(db, id) : undefined;
      if (u) subjects.push(subjectOf(u));
    }
    const cameras = (await db.query<{ id: string }>('SELECT id FROM cameras ORDER BY id')).rows.map(
      (r) => r.id,
    );
    const pairs = subjects.flatMap((s) => cameras.map((c) => [s, c] as const));

    // Warm: every pair decided once, then answered from the cache.
    const warm = new DecisionService({ db, redis, logger }, { ttlMs: 600_000, maxEntries: 1_000_000 });
    for (const [s, c] of pairs) await warm.decide(s, c, 'live:view');
    const warmN = 1_000_000;
    let allowed = 0;
    const t0 = performance.now();
    for (let i = 0; i < warmN; i++) {
      const [s, c] = pairs[i % pairs.length] as (typeof pairs)[number];
      const out = await warm.decide(s, c, 'live:view');
      if (out?.decision.allow) allowed++;
    }
    const warmMs = performance.now() - t0;
    const warmRate = Math.round(warmN / (warmMs / 1000));
    const hits = warm.stats().hits;

    // Cold: nothing reused; 32 decisions in flight, like 32 concurrent requests.
    let queries = 0;
    const counted = {
      query: ((sql: string, params?: unknown[]) => {
        queries++;
        return db.query(sql, params);
      }) as typeof db.query,
      exec: (sql: string) => db.exec(sql),
    };
    const cold = new DecisionService({ db: counted, redis, logger }, { ttlMs: 0, maxEntries: 1 });
    const coldN = 40_000;
    let next = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < coldN) {
          const [s, c] = pairs[next++ % pairs.length] as (typeof pairs)[number];
          await cold.decide(s, c, 'live:view');
        }
      }),
    );
    const coldMs = performance.now() - t1;
    const coldRate = Math.round(coldN / (coldMs / 1000));

    // The pure function, facts in hand.
    const facts = await Promise.all(cameras.map(async (c) => (await warm.camera(c))?.facts));
    const incidents = await warm.incidents();
    const pureN = 5_000_000;
    const now = new Date();
    const t2 = performance.now();
    let pureAllowed = 0;
    for (let i = 0; i < pureN; i++) {
      const f = facts[i % facts.length];
      const s = subjects[i % subjects.length];
      if (f && s && decide(s, f, 'live:view', { now, openIncidents: incidents }).allow) pureAllowed++;
    }
    const pureRate = Math.round(pureN / ((performance.now() - t2) / 1000));

    print(
      `  warm cache  ${warmRate.toLocaleString('en')} decisions/s (ratio to target ${TARGET}: ${(warmRate / TARGET).toFixed(1)})`,
    );
    print(
      `  cold        ${coldRate.toLocaleString('en')} decisions/s (32 in flight, ${(queries / coldN).toFixed(3)} queries per decision; ratio ${(coldRate / TARGET).toFixed(2)})`,
    );
    print(`  decide()    ${pureRate.toLocaleString('en')} decisions/s (pure function)`);
    return {
      target: TARGET,
      warm: {
        decisionsPerS: warmRate,
        n: warmN,
        hits,
        allowedShare: Math.round((allowed / warmN) * 1000) / 1000,
      },
      cold: {
        decisionsPerS: coldRate,
        n: coldN,
        inFlight: 32,
        queriesPerDecision: Math.round((queries / coldN) * 1000) / 1000,
      },
      pure: {
        decisionsPerS: pureRate,
        n: pureN,
        allowedShare: Math.round((pureAllowed / pureN) * 1000) / 1000,
      },
      pairs: pairs.length,
    };
  } finally {
    redis.disconnect();
    await world.drop();
  }
}
