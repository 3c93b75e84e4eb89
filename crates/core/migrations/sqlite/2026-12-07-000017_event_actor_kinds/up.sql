-- Who made each change by kind (admin, member, api_key, system: `audit::ActorKind`), beside
-- the label the log shows, so webhooks tell receivers the kind without reading it back out of
-- the label. Existing events get the kind their label names. (The default only serves this
-- ADD COLUMN; every insert names the kind.)
ALTER TABLE events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'system';
UPDATE events SET actor_kind = CASE
    WHEN actor LIKE 'admin %' THEN 'admin'
    WHEN actor LIKE 'member %' THEN 'member'
    WHEN actor LIKE 'API key%' THEN 'api_key'
    ELSE 'system'
END;
