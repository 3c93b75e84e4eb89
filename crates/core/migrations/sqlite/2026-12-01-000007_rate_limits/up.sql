-- Budgets of changes per minute (the JSON API's write limit), kept in the database so that
-- every server on it counts the same budget. One row per API key or client address.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY NOT NULL, -- 'key:<api key id>' or 'address:<ip>'
    tat INTEGER NOT NULL -- when the budget is full again: Unix milliseconds
);
CREATE INDEX rate_limits_tat ON rate_limits(tat);
