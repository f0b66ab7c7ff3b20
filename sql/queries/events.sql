-- name: CountEvents :one
SELECT count(*) FROM events;

-- name: CountSessions :one
SELECT count(*) FROM sessions;
