-- The hidden assignments of each badge, so that the public total of its holders (the stored
-- count less these) is read from a small index rather than by counting every holder.
CREATE INDEX member_badges_hidden_by_badge ON member_badges (badge_key) WHERE hidden;
