-- Sessions with a cart or a purchase, a few percent of all, by start time:
-- the funnel reads them alone and only counts the rest.
CREATE INDEX IF NOT EXISTS sessions_engaged_start ON sessions (session_start)
    WHERE cart_count > 0 OR converted;
