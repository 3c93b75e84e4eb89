-- Changes to many assignments that can be undone for a day (crates/core/src/members/undo.rs):
-- a bulk give or take, a "remove all holders", a removal by hand. Each keeps, per member it
-- changed, what undoing needs: whether they held the badge before, and if so the assignment
-- as it was (its time, giver, end, hidden and pinned state), to give it back as it was.
CREATE TABLE bulk_changes (
    id TEXT PRIMARY KEY NOT NULL, -- random: it is in the undo form
    admin_id TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    -- No reference to the badge: an undo after the badge was deleted must be able to say so.
    badge_id TEXT NOT NULL,
    badge_title TEXT NOT NULL,
    give BOOLEAN NOT NULL,
    members BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL, -- Unix milliseconds
    undone_at BIGINT
);
CREATE INDEX bulk_changes_created ON bulk_changes(created_at);

CREATE TABLE bulk_change_rows (
    change_id TEXT NOT NULL REFERENCES bulk_changes(id) ON DELETE CASCADE,
    -- No reference: a member deleted since is skipped by the undo.
    member_key BIGINT NOT NULL,
    held_before BOOLEAN NOT NULL,
    assigned_at BIGINT,
    assigned_by TEXT,
    hidden BOOLEAN,
    pinned_at BIGINT,
    expires_at BIGINT,
    end_set_at BIGINT,
    PRIMARY KEY (change_id, member_key)
) WITHOUT ROWID;

-- A bulk report is shown again at its own address (a reload, a bookmark): what its page shows
-- (counts, the first lines that need attention, the undo) as JSON, and every line that needs
-- attention as CSV, to fix and paste alone.
ALTER TABLE reports ADD COLUMN page TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN attention TEXT NOT NULL DEFAULT '';
