-- Searching one or two letters finds members by the start of any word of their name ("ho"
-- finds Grace Hopper): the words of each name, indexed for prefix queries ('ho':*).
CREATE INDEX members_name_words ON members USING gin (to_tsvector('simple', name));
