DROP TABLE audit_log;
DROP TABLE badges;
DROP TABLE icon_uploads;
DROP TABLE login_failures;
DROP TABLE admin_sessions;
DROP TABLE admins;
DROP TABLE settings;
