-- Continuous recording, first slice (R-REC-1, R-REC-2): the index of what the media nodes recorded,
-- the gaps they reported, per-camera retention and evidence holds. Plain SQL for PostgreSQL and
-- PGlite alike (ADR 0002).
--
-- Each segment row is chained to the previous segment of its camera and profile (prev_sha256, NULL
-- for the first one ever indexed): a removed or reordered row shows as a broken link. Rows are never
-- changed, and none is deleted while younger than its camera's retention (never below 30 days) or
-- covered by an unreleased evidence hold — the triggers refuse it to every role, the application's
-- and the owner's included. (A superuser can still switch triggers off; the chain shows what it did.)

-- Per-camera retention in days; NULL = the gateways' RECORDING_RETENTION_DAYS (itself ≥ 30).
ALTER TABLE cameras ADD COLUMN retention_days integer
  CONSTRAINT cameras_retention_floor CHECK (retention_days IS NULL OR retention_days >= 30);

CREATE TABLE recording_segments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id uuid NOT NULL REFERENCES cameras (id),
  profile text NOT NULL CHECK (profile IN ('main', 'sub')),
  node text NOT NULL,
  start_at timestamptz NOT NULL,
  end_at timestamptz NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  frames integer NOT NULL CHECK (frames > 0),
  bytes bigint NOT NULL CHECK (bytes > 0),
  init_bytes integer NOT NULL CHECK (init_bytes > 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  prev_sha256 text CHECK (prev_sha256 ~ '^[0-9a-f]{64}$'),
  storage_key text NOT NULL,
  codec text NOT NULL CHECK (codec IN ('h264', 'h265')),
  width integer CHECK (width > 0),
  height integer CHECK (height > 0),
  indexed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT recording_segments_order CHECK (end_at >= start_at),
  CONSTRAINT recording_segments_node_key UNIQUE (node, storage_key)
);
CREATE INDEX recording_segments_camera_idx ON recording_segments (camera_id, profile, start_at);
-- The sweeper's scan: oldest first.
CREATE INDEX recording_segments_end_idx ON recording_segments (end_at);

CREATE TABLE recording_gaps (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id uuid NOT NULL REFERENCES cameras (id),
  profile text NOT NULL CHECK (profile IN ('main', 'sub')),
  node text NOT NULL,
  from_at timestamptz NOT NULL,
  to_at timestamptz NOT NULL,
  reason text NOT NULL CHECK (reason IN
    ('source_lost', 'node_restart', 'storage_full', 'recording_stopped', 'recorder_error')),
  detail text,
  indexed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT recording_gaps_order CHECK (to_at >= from_at),
  CONSTRAINT recording_gaps_once UNIQUE (node, camera_id, profile, from_at, to_at, reason)
);
CREATE INDEX recording_gaps_camera_idx ON recording_gaps (camera_id, profile, from_at);

-- Evidence holds (R-REC-1): footage of these cameras in [from_at, to_at) outlives retention until
-- the hold is released.
CREATE TABLE evidence_holds (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  from_at timestamptz NOT NULL,
  to_at timestamptz NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  case_number text NOT NULL CHECK (length(case_number) BETWEEN 1 AND 100),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  released_by uuid REFERENCES users (id),
  released_at timestamptz,
  CONSTRAINT evidence_holds_range CHECK (to_at > from_at),
  CONSTRAINT evidence_holds_release CHECK ((released_by IS NULL) = (released_at IS NULL))
);
CREATE TABLE evidence_hold_cameras (
  hold_id uuid NOT NULL REFERENCES evidence_holds (id),
  camera_id uuid NOT NULL REFERENCES cameras (id),
  PRIMARY KEY (hold_id, camera_id)
);
CREATE INDEX evidence_hold_cameras_camera_idx ON evidence_hold_cameras (camera_id);

-- A segment row is what the node fingerprinted: it never changes.
CREATE FUNCTION recording_segments_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'recording_segments: rows are never changed (% refused)', TG_OP;
END
$$;

-- Deleting is retention's alone: only a segment that ended longer ago than its camera's retention
-- (never less than 30 days) and that no unreleased hold covers.
CREATE FUNCTION recording_segments_guard_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  days integer;
BEGIN
  SELECT c.retention_days INTO days FROM cameras c WHERE c.id = OLD.camera_id;
  days := greatest(30, coalesce(days, 30));
  IF OLD.end_at > now() - make_interval(days => days) THEN
    RAISE EXCEPTION 'recording_segments: segment % is within its retention (% days): delete refused', OLD.id, days;
  END IF;
  IF EXISTS (
    SELECT 1 FROM evidence_hold_cameras hc JOIN evidence_holds h ON h.id = hc.hold_id
     WHERE hc.camera_id = OLD.camera_id AND h.released_at IS NULL
       AND h.from_at < OLD.end_at AND h.to_at > OLD.start_at
  ) THEN
    RAISE EXCEPTION 'recording_segments: segment % is under an evidence hold: delete refused', OLD.id;
  END IF;
  RETURN OLD;
END
$$;

CREATE FUNCTION recording_segments_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'recording_segments: TRUNCATE refused (retention deletes row by row)';
END
$$;

CREATE TRIGGER recording_segments_no_update BEFORE UPDATE ON recording_segments
  FOR EACH ROW EXECUTE FUNCTION recording_segments_refuse_update();
CREATE TRIGGER recording_segments_retention BEFORE DELETE ON recording_segments
  FOR EACH ROW EXECUTE FUNCTION recording_segments_guard_delete();
CREATE TRIGGER recording_segments_no_truncate BEFORE TRUNCATE ON recording_segments
  FOR EACH STATEMENT EXECUTE FUNCTION recording_segments_refuse_truncate();

-- A hold is released, never edited or removed: only released_by/released_at may be set, once.
CREATE FUNCTION evidence_holds_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'evidence_holds: holds are released, not deleted';
  END IF;
  IF OLD.released_at IS NOT NULL OR NEW.id <> OLD.id OR NEW.from_at <> OLD.from_at OR NEW.to_at <> OLD.to_at
     OR NEW.reason <> OLD.reason OR NEW.case_number <> OLD.case_number OR NEW.created_by <> OLD.created_by
     OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'evidence_holds: only an unreleased hold''s release may be recorded';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER evidence_holds_guard BEFORE UPDATE OR DELETE ON evidence_holds
  FOR EACH ROW EXECUTE FUNCTION evidence_holds_guard();

CREATE FUNCTION evidence_hold_cameras_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'evidence_hold_cameras: a hold''s cameras never change (% refused)', TG_OP;
END
$$;
CREATE TRIGGER evidence_hold_cameras_fixed BEFORE UPDATE OR DELETE ON evidence_hold_cameras
  FOR EACH ROW EXECUTE FUNCTION evidence_hold_cameras_refuse();
