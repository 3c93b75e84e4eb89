DROP TABLE badge_slugs;
