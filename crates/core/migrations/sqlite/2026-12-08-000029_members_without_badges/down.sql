DROP INDEX members_without_badges;
