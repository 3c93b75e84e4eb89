DROP TRIGGER members_words_update;
DROP TRIGGER members_words_delete;
DROP TRIGGER members_words_insert;
DROP TABLE members_words;
