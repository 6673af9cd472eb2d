-- A level Ⅰ/Ⅱ incident's emergency grant opens at once but needs a second command user's (or a
-- superior's) confirmation by `confirm_by`; unconfirmed by then, the grant lapses (the incident
-- stays open for the record). The declarer cannot confirm their own declaration.
ALTER TABLE incidents ADD COLUMN confirm_by timestamptz;
ALTER TABLE incidents ADD COLUMN confirmed_by uuid REFERENCES users (id);
ALTER TABLE incidents ADD COLUMN confirmed_at timestamptz;
ALTER TABLE incidents ADD CONSTRAINT incidents_confirmed_pair CHECK ((confirmed_at IS NULL) = (confirmed_by IS NULL));
ALTER TABLE incidents ADD CONSTRAINT incidents_confirmed_by_other CHECK (confirmed_by IS NULL OR confirmed_by <> opened_by);
ALTER TABLE incidents ADD CONSTRAINT incidents_confirmed_in_time CHECK (confirmed_at IS NULL OR (confirm_by IS NOT NULL AND confirmed_at <= confirm_by));
ALTER TABLE incidents ADD CONSTRAINT incidents_confirm_major CHECK (confirm_by IS NULL OR level <= 2);
