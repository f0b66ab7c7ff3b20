-- Funnel windows select sessions by start time.
CREATE INDEX IF NOT EXISTS sessions_start ON sessions (session_start);
