-- The dashboard's members list filtered to members without badges, newest first: a seek in
-- this partial index instead of a walk over every member. (PostgreSQL has no such index: one
-- on `badge_count` would stop the count's updates from being HOT updates, which keep every
-- bulk change from touching all of the members' indexes; it walks the primary key instead.)
CREATE INDEX members_without_badges ON members(key) WHERE badge_count = 0;
