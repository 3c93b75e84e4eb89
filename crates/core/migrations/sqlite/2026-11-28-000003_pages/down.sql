DROP TABLE badge_pages;
DROP TABLE pages;
