ALTER TABLE members SET (fillfactor = 90);
