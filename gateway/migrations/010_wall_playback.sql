-- Wall playback (issue 13): the wall's playback clock, shared by every display of the wall —
-- { "at": footage time at the anchor, "anchor": server time it was set, "speed", "paused" } —
-- or NULL while the wall is live. Tiles carry their own mode in `tiles` ("mode": "live" keeps a
-- tile live while the wall plays back).
ALTER TABLE walls ADD COLUMN playback jsonb;
