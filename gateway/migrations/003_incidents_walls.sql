-- Incidents (national emergency levels: 1 = Ⅰ especially major … 4 = Ⅳ general) and walls.

CREATE TABLE incidents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
  lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  radius_m integer NOT NULL CHECK (radius_m BETWEEN 1 AND 100000),
  district_code text REFERENCES districts (code),
  opened_by uuid NOT NULL REFERENCES users (id),
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_by uuid REFERENCES users (id),
  closed_at timestamptz,
  CHECK ((closed_at IS NULL) = (closed_by IS NULL)),
  CHECK (closed_at IS NULL OR closed_at >= opened_at)
);
CREATE INDEX incidents_open_idx ON incidents (opened_at) WHERE closed_at IS NULL;

CREATE TABLE walls (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  owner_org_id uuid NOT NULL REFERENCES organisations (id),
  layout text NOT NULL DEFAULT '4',
  -- [{ "index": 0, "cameraId": "…", "profile": "sub" }, …]
  tiles jsonb NOT NULL DEFAULT '[]',
  version integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX walls_owner_idx ON walls (owner_org_id);
