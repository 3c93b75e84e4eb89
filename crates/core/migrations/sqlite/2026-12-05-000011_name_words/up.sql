-- Searching one or two letters finds members by the start of any word of their name ("ho"
-- finds Grace Hopper): a word index over names, with prefix indexes for one and two
-- characters, kept in step with the members table like the trigram index.
CREATE VIRTUAL TABLE members_words USING fts5(
    name, content='members', content_rowid='key',
    tokenize='unicode61 remove_diacritics 2', prefix='1 2'
);
INSERT INTO members_words(members_words) VALUES ('rebuild');
CREATE TRIGGER members_words_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_words(rowid, name) VALUES (new.key, new.name);
END;
CREATE TRIGGER members_words_delete AFTER DELETE ON members BEGIN
    INSERT INTO members_words(members_words, rowid, name) VALUES ('delete', old.key, old.name);
END;
CREATE TRIGGER members_words_update AFTER UPDATE OF name ON members BEGIN
    INSERT INTO members_words(members_words, rowid, name) VALUES ('delete', old.key, old.name);
    INSERT INTO members_words(rowid, name) VALUES (new.key, new.name);
END;
