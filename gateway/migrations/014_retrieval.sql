-- Retrieval of recordings (Art. 21, 22; R-RET-1…3): requests, their approval and the approval
-- document. One SQL for PGlite and PostgreSQL (ADR 0002).

-- The kind of sudden public event (Art. 21 ¶3); NULL for incidents declared without one.
ALTER TABLE incidents ADD COLUMN kind text
  CHECK (kind IN ('public_order', 'natural_disaster', 'accident', 'public_health'));

-- 'expired' is never stored: an approved request whose expires_at has passed reads as expired.
CREATE TABLE retrieval_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  state text NOT NULL DEFAULT 'draft'
    CHECK (state IN ('draft', 'submitted', 'approved', 'rejected', 'executed', 'closed')),
  basis text NOT NULL CHECK (basis IN ('certificate', 'approval', 'emergency')),
  camera_ids uuid[] NOT NULL CHECK (cardinality(camera_ids) BETWEEN 1 AND 64),
  -- [{ "from": ISO, "to": ISO }, …]
  ranges jsonb NOT NULL,
  purpose text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
  case_number text NOT NULL CHECK (length(case_number) BETWEEN 1 AND 64),
  incident_id uuid REFERENCES incidents (id),
  CHECK ((basis = 'emergency') = (incident_id IS NOT NULL)),
  org_id uuid NOT NULL REFERENCES organisations (id),
  requested_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  -- Nobody approves or rejects their own request.
  CHECK (decided_by IS NULL OR decided_by <> requested_by),
  rejection_reason text,
  expires_at timestamptz,
  executed_at timestamptz,
  closed_at timestamptz,
  CHECK (state <> 'approved' OR (decided_by IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE INDEX retrieval_requests_org_idx ON retrieval_requests (org_id, created_at DESC);
CREATE INDEX retrieval_requests_state_idx ON retrieval_requests (state, created_at DESC);

-- The approval document (a PDF or an image), one per approved request, kept with its SHA-256.
CREATE TABLE retrieval_documents (
  request_id uuid PRIMARY KEY REFERENCES retrieval_requests (id),
  number text NOT NULL CHECK (length(number) BETWEEN 1 AND 64),
  name text NOT NULL,
  content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
  bytes integer NOT NULL CHECK (bytes > 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content bytea NOT NULL CHECK (length(content) = bytes),
  uploaded_by uuid NOT NULL REFERENCES users (id),
  uploaded_at timestamptz NOT NULL DEFAULT now()
);
