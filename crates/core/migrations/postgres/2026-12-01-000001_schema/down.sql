DROP TABLE reports, audit_members, audit_log, api_keys, badge_pages, pages, member_sessions,
    password_links, member_badges, members, badges, icon_uploads, login_failures,
    admin_sessions, admins, settings;
