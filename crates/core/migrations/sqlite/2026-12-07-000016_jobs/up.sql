-- Background jobs that one server at a time runs (crates/core/src/jobs.rs): when each is due
-- next, and the lease of the server running it (a server that dies mid-run loses it when the
-- lease runs out, and another takes the job). Jobs every server runs keep no row.
CREATE TABLE jobs (
    name TEXT PRIMARY KEY NOT NULL,
    due_at BIGINT NOT NULL, -- Unix milliseconds
    lease_until BIGINT NOT NULL, -- Unix milliseconds; 0 when no server holds it
    holder TEXT NOT NULL -- the runner that holds or last held the lease
);
