-- API keys: the secret is shown once; only its SHA-256 is kept (keys are long random
-- strings, so a fast hash is enough and keeps every API call cheap to authenticate).
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
