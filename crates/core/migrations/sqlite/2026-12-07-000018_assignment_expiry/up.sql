-- Badges valid for a time: a badge may say how many days an assignment lasts
-- (`valid_for_days`; NULL: for good), and each assignment keeps when it ends (`expires_at`,
-- Unix milliseconds; NULL: never). From that moment it no longer counts for any read; the
-- background job `assignments.expire` (crates/core/src/members/expiry.rs) then takes it away
-- the one way assignments are taken. The partial index finds what has expired without
-- reading the assignments that never do.
ALTER TABLE badges ADD COLUMN valid_for_days INTEGER;
ALTER TABLE member_badges ADD COLUMN expires_at BIGINT;
CREATE INDEX member_badges_expiring ON member_badges (expires_at) WHERE expires_at IS NOT NULL;
