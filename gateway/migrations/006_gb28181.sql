-- GB/T 28181 (issue 6): devices registered with our SIP server, and the online status of cameras.
-- No extensions (PGlite runs this too).

-- One row per GB source system that has registered at least once: where it is, how it talks, when
-- it was last heard from. The SIP server keeps the live view in memory and mirrors it here.
CREATE TABLE gb_devices (
  device_id text PRIMARY KEY CHECK (device_id ~ '^[0-9]{20}$'),
  source_id uuid NOT NULL REFERENCES source_systems (id),
  transport text NOT NULL CHECK (transport IN ('udp', 'tcp')),
  -- Where requests to the device go (Via received/rport over UDP, the connection's peer over TCP).
  address text NOT NULL,
  port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  contact text,
  -- The registration: its lifetime as granted and when it ends.
  expires_s integer NOT NULL CHECK (expires_s >= 0),
  registered_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  online boolean NOT NULL,
  -- Why it went offline last (`keepalive`, `expired`, `unregistered`), while offline.
  offline_reason text,
  gb_version text,
  user_agent text,
  -- DeviceInfo.
  device_name text,
  manufacturer text,
  model text,
  firmware text,
  channel_count integer,
  catalog_synced_at timestamptz,
  catalog_items integer,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX gb_devices_source_idx ON gb_devices (source_id);

-- REGISTER looks a source up by its GB device ID.
CREATE INDEX source_systems_gb_device_idx ON source_systems ((connection ->> 'deviceId'))
  WHERE kind = 'gb28181';

-- Whether a camera delivers video as its source reports it: NULL when the source reports nothing
-- (RTSP/ONVIF), else its device online and the channel's own catalogue status ON.
ALTER TABLE cameras ADD COLUMN online boolean;
-- The channel's status as its GB device last reported it (catalogue Status or a NOTIFY event).
ALTER TABLE cameras ADD COLUMN source_status text
  CHECK (source_status IS NULL OR source_status IN ('ON', 'OFF', 'VLOST', 'DEFECT'));
ALTER TABLE cameras ADD COLUMN status_changed_at timestamptz;
