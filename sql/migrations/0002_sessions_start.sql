-- Funnel windows select sessions by start time.
CREATE INDEX sessions_start ON sessions (session_start);
