DROP TABLE admin_password_links;
ALTER TABLE admins DROP COLUMN last_sign_in_at;
