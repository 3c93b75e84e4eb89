DELETE FROM mail_outbox o WHERE member_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM members m WHERE m.id = o.member_id);
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_member_id_fkey
    FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE;
