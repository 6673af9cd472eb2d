-- Production database roles (R-AUD-1). The schema belongs to a migration role, wall_owner; the
-- gateway logs in as wall_app, which reads and writes the ordinary tables but can only add to and
-- read the audit log: no UPDATE, DELETE or TRUNCATE on it, and — not owning it — no ALTER TABLE,
-- no DISABLE TRIGGER, no DROP. Being no superuser, it cannot SET session_replication_role either.
--
-- Run as a superuser in the gateway's database before the first migration, and again after each
-- release's migrations (it is idempotent):
--   psql -v ON_ERROR_STOP=1 -d wall -f infra/sql/app-role.sql
-- Set the passwords out of band (psql: \password wall_owner, \password wall_app). Migrations run
-- with wall_owner's URL, the gateway with wall_app's.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wall_owner') THEN
    CREATE ROLE wall_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wall_app') THEN
    CREATE ROLE wall_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
END
$$;

-- Only wall_owner creates objects (PostgreSQL 15 already revokes CREATE from PUBLIC; older ones do not).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO wall_owner;
GRANT USAGE ON SCHEMA public TO wall_app;

-- Tables wall_owner creates from now on are the gateway's to read and write …
ALTER DEFAULT PRIVILEGES FOR ROLE wall_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO wall_app;
ALTER DEFAULT PRIVILEGES FOR ROLE wall_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO wall_app;
-- … and so are those that exist already (when this runs after migrations) …
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO wall_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wall_app;

-- … except the audit log, append and read only. 002_audit.sql strips the same rights when it
-- creates the table, so there is no window between a migration and the next run of this file; its
-- triggers refuse UPDATE, DELETE and TRUNCATE even to the owner.
DO $$
BEGIN
  IF to_regclass('public.audit_log') IS NOT NULL THEN
    REVOKE ALL ON audit_log FROM wall_app;
    GRANT SELECT, INSERT ON audit_log TO wall_app;
  END IF;
END
$$;
