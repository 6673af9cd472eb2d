-- Audit log (R-AUD-1): append-only and hash-chained. Plain SQL for PostgreSQL and PGlite alike.
--
-- Every row carries the SHA-256 of its canonical content (src/audit/canonical.ts), which includes
-- its seq and the previous row's hash. seq is assigned by the writer under the chain's lock (not a
-- sequence, which would leave gaps on rollback), so seq runs 1, 2, 3 … without gaps: a deleted row
-- shows as a gap and as a broken link, an edited row as a wrong hash.

CREATE TABLE audit_log (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  at timestamptz NOT NULL,
  actor_id uuid,
  actor_name text NOT NULL,
  action text NOT NULL,
  target_kind text,
  target_id text,
  result text NOT NULL CHECK (result IN ('allow', 'deny', 'ok', 'error')),
  reason text,
  address text,
  emergency boolean NOT NULL DEFAULT false,
  detail jsonb NOT NULL DEFAULT '{}',
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
-- The API's filters; each ends in seq for keyset paging (newest first).
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, seq);
CREATE INDEX audit_log_actor_name_idx ON audit_log (actor_name, seq);
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);
CREATE INDEX audit_log_target_idx ON audit_log (target_kind, target_id, seq);

-- The head of the chain, read under the chain's lock (held until the caller's transaction ends), with
-- the time of the next entry. The lock is taken before the read inside one call, so the read sees
-- every entry committed before it (READ COMMITTED) and concurrent writers queue instead of forking.
CREATE FUNCTION audit_log_head(OUT seq bigint, OUT hash text, OUT at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1096107092); -- 'AUDT'; shared by every writer of the chain
  SELECT a.seq, a.hash INTO seq, hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
  seq := coalesce(seq, 0);
  hash := coalesce(hash, repeat('0', 64));
  at := date_trunc('milliseconds', clock_timestamp());
END
$$;

-- Last line against forks: a new row must extend the chain (next seq, previous row's hash).
CREATE FUNCTION audit_log_check_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  SELECT a.seq, a.hash INTO last_seq, last_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
  IF NEW.seq <> coalesce(last_seq, 0) + 1 OR NEW.prev_hash <> coalesce(last_hash, repeat('0', 64)) THEN
    RAISE EXCEPTION 'audit_log: entry % does not extend the chain (head is %)', NEW.seq, coalesce(last_seq, 0);
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER audit_log_link BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_check_link();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Only the owner (the migration role) keeps rights beyond SELECT and INSERT: default privileges
-- (infra/sql/app-role.sql) give the gateway's role UPDATE/DELETE on new tables, not on this one.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT DISTINCT a.grantee
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = 'audit_log'::regclass AND a.grantee <> c.relowner
       AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM %s',
      CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
  END LOOP;
END
$$;
