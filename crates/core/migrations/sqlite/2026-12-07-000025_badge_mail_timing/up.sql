-- When each assignment's end was last set (given, renewed or changed by hand): "your badge
-- ends soon" goes only where the end was set more than a week and a day before it
-- (crates/core/src/members/expiry.rs), so a badge given or renewed for a week is not warned
-- of as soon as it is given.
ALTER TABLE member_badges ADD COLUMN end_set_at BIGINT; -- Unix milliseconds
-- Members who were here before the site header counted new badges have seen what they hold
-- (crates/core/src/members/profile.rs, new_badge_count).
UPDATE members SET badges_seen_at = CAST((julianday('now')-2440587.5)*86400000 AS INTEGER) WHERE badges_seen_at IS NULL;
