DROP TABLE email_confirmations;
ALTER TABLE members DROP COLUMN email_pending;
