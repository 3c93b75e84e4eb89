DROP INDEX members_name_words;
