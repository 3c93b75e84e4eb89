ALTER TABLE reports DROP COLUMN attention;
ALTER TABLE reports DROP COLUMN page;
DROP TABLE bulk_change_rows;
DROP TABLE bulk_changes;
