-- Emergency uses (R-ACC-4): the owners' notices and the after-action review read the stream tokens
-- issued under a major incident's grant straight from the audit log (`stream.token`, emergency).
-- They are few among all entries: a partial index finds them without walking the log.
CREATE INDEX audit_log_emergency_token_idx ON audit_log (seq) WHERE emergency AND action = 'stream.token';
