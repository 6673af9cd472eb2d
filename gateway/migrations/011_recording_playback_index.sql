-- Playback and the timeline read one camera profile's segments in a range: a 24-hour playlist is
-- 21,600 rows. Every camera's segments are written interleaved in time, so each row of one camera
-- sits on a heap page of its own: a day read ~21,600 pages (≈ 170 ms from the OS cache on the bench). The camera index now
-- carries what the playlist and the timeline read, so a range is an index-only scan of a few hundred
-- pages (≈ 18 ms). It replaces the plain index on the same key, which the verifier and the other
-- per-camera reads use as before. Plain SQL for PostgreSQL and PGlite alike (ADR 0002).
CREATE INDEX recording_segments_camera_cover_idx ON recording_segments (camera_id, profile, start_at)
  INCLUDE (end_at, id, bytes, duration_ms, node, storage_key, sha256, codec, width, height);
DROP INDEX recording_segments_camera_idx;
