-- Foundation schema: districts, organisations, users, source systems, cameras.
-- One file serves PostgreSQL and PGlite alike: plain SQL, no extensions.

CREATE TABLE districts (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
  name text NOT NULL,
  name_en text NOT NULL,
  center_lon double precision NOT NULL,
  center_lat double precision NOT NULL,
  geometry jsonb NOT NULL
);

CREATE TABLE organisations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  tier text NOT NULL CHECK (tier IN ('city', 'district', 'unit')),
  district_code text REFERENCES districts (code),
  department_kind text NOT NULL
    CHECK (department_kind IN ('police', 'emergency', 'state_security', 'regulator', 'admin', 'owner')),
  sector text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (tier = 'city' OR district_code IS NOT NULL),
  CHECK (department_kind <> 'regulator' OR sector IS NOT NULL)
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organisations (id),
  username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  display_name text NOT NULL,
  password_hash text NOT NULL,
  roles text[] NOT NULL DEFAULT '{}',
  clearance smallint NOT NULL CHECK (clearance BETWEEN 1 AND 4),
  work_id text NOT NULL,
  county_police_certificate boolean NOT NULL DEFAULT false,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_org_idx ON users (org_id);

CREATE TABLE source_systems (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('gb28181', 'rtsp', 'onvif')),
  owner_org_id uuid NOT NULL REFERENCES organisations (id),
  funding text NOT NULL CHECK (funding IN ('government', 'private')),
  -- Non-secret connection settings (host, port, base URL, GB IDs).
  connection jsonb NOT NULL DEFAULT '{}',
  -- Secrets (passwords) sealed with the gateway's key; never stored in clear.
  secret_ciphertext bytea,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX source_systems_owner_idx ON source_systems (owner_org_id);

CREATE TABLE cameras (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source_id uuid NOT NULL REFERENCES source_systems (id),
  -- The camera's ID inside its source (GB channel ID, RTSP path key).
  external_id text NOT NULL,
  name text NOT NULL,
  lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  district_code text NOT NULL REFERENCES districts (code),
  site_category text NOT NULL CHECK (site_category IN (
    'hazardous_materials', 'classified_archives', 'cultural_heritage', 'financial_vaults',
    'broadcast_telecom', 'energy_water', 'transport', 'strategic_reserves',
    'hospitality_entertainment', 'public_gathering', 'public_transport_vehicles', 'other_designated')),
  location_kind text NOT NULL,
  grade smallint NOT NULL CHECK (grade BETWEEN 1 AND 4),
  state text NOT NULL DEFAULT 'registered' CHECK (state IN ('registered', 'accepted', 'in_service', 'removed')),
  installer text,
  -- { "main": { "path": "/cam01/main" }, "sub": { … } } relative to the source's connection.
  profiles jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, external_id),
  -- Art. 9: no camera in private spaces, enforced by the database as the last line.
  CHECK (location_kind NOT IN ('dormitory', 'hotel_guest_room', 'bathhouse', 'changing_room', 'toilet'))
);
CREATE INDEX cameras_district_idx ON cameras (district_code);
CREATE INDEX cameras_lon_lat_idx ON cameras (lon, lat);
CREATE INDEX cameras_source_idx ON cameras (source_id);

-- Data sets loaded once (the demo), so a restart keeps what the first start created.
CREATE TABLE seeds (
  name text PRIMARY KEY,
  detail jsonb NOT NULL DEFAULT '{}',
  applied_at timestamptz NOT NULL DEFAULT now()
);
