-- Back to UUID references and text times (run with foreign keys off, as the server does).
DROP TABLE reports;
DROP TABLE audit_members;
CREATE TABLE member_badges_v5 (
    badge_id TEXT NOT NULL REFERENCES badges(id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    PRIMARY KEY (badge_id, member_id)
) WITHOUT ROWID;
INSERT INTO member_badges_v5
    SELECT b.id, m.id, strftime('%Y-%m-%dT%H:%M:%fZ', mb.assigned_at / 1000.0, 'unixepoch'),
           mb.assigned_by
    FROM member_badges mb JOIN badges b ON b.key = mb.badge_key JOIN members m ON m.key = mb.member_key;
CREATE TABLE badge_pages_v5 (
    badge_id TEXT NOT NULL REFERENCES badges(id) ON DELETE CASCADE,
    page_id TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    PRIMARY KEY (badge_id, page_id)
) WITHOUT ROWID;
INSERT INTO badge_pages_v5
    SELECT b.id, p.id FROM badge_pages bp JOIN badges b ON b.key = bp.badge_key JOIN pages p ON p.key = bp.page_key;
DROP TABLE member_badges;
DROP TABLE badge_pages;
ALTER TABLE member_badges_v5 RENAME TO member_badges;
ALTER TABLE badge_pages_v5 RENAME TO badge_pages;
CREATE INDEX member_badges_member ON member_badges(member_id, badge_id);
CREATE INDEX member_badges_badge_time ON member_badges(badge_id, assigned_at);
CREATE INDEX badge_pages_page ON badge_pages(page_id, badge_id);
-- members, badges and pages keep their integer keys as row numbers; their UUID stays unique.
