ALTER TABLE events DROP COLUMN actor_kind;
