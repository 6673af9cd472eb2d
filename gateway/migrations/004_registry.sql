-- Registry API (issue 4): camera address (searched with the name), source removal and change time,
-- and the indexes of the camera search. No extensions (PGlite runs this too).

ALTER TABLE cameras ADD COLUMN address text CHECK (address IS NULL OR length(address) BETWEEN 1 AND 300);

-- A removed source keeps its row (its cameras' files reference it); it takes no new cameras.
ALTER TABLE source_systems ADD COLUMN removed_at timestamptz;
ALTER TABLE source_systems ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Box and radius searches read only what the policy prefilter needs from the index (index-only
-- scans once the table is vacuumed); it replaces the plain (lon, lat) index.
CREATE INDEX cameras_lon_lat_cover_idx ON cameras (lon, lat) INCLUDE (id, grade, source_id, district_code);
DROP INDEX cameras_lon_lat_idx;

-- Keyset pages in id order within a district (district-tier users, the district filter); it
-- replaces the plain district index.
CREATE INDEX cameras_district_id_idx ON cameras (district_code, id);
DROP INDEX cameras_district_idx;
