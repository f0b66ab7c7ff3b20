-- Queries of the pg-sink: one transaction per partition batch inserts the
-- new events, upserts the sessions they touch and advances the offset.

-- name: InsertEvents :many
-- Inserts a batch and returns the events that were new: the unique key is
-- the event identity, so a duplicate or a replayed event is skipped.
INSERT INTO events (visitor_id, event_time, event_type, item_id, transaction_id)
SELECT e.visitor_id, e.event_time, e.event_type, e.item_id,
       CASE WHEN e.has_transaction THEN e.transaction_id END
FROM (
    SELECT unnest(@visitor_ids::bigint[])         AS visitor_id,
           unnest(@event_times::timestamptz[])    AS event_time,
           unnest(@event_types::text[])           AS event_type,
           unnest(@item_ids::bigint[])            AS item_id,
           unnest(@transaction_ids::bigint[])     AS transaction_id,
           unnest(@has_transaction::boolean[])    AS has_transaction
) AS e
ON CONFLICT DO NOTHING
RETURNING visitor_id, event_time, event_type, item_id;

-- name: UpsertSessions :exec
-- Writes sessions with absolute values. Item sets travel as array literals
-- ('{1,2}'), since unnest flattens a 2-D array instead of returning its rows.
INSERT INTO sessions (
    session_id, visitor_id, session_start, session_end, duration_seconds,
    event_count, view_count, cart_count, transaction_count,
    items_viewed, items_carted, items_purchased, converted
)
SELECT s.session_id, s.visitor_id, s.session_start, s.session_end, s.duration_seconds,
       s.event_count, s.view_count, s.cart_count, s.transaction_count,
       s.items_viewed::bigint[], s.items_carted::bigint[], s.items_purchased::bigint[],
       s.transaction_count > 0
FROM (
    SELECT unnest(@session_ids::text[])            AS session_id,
           unnest(@visitor_ids::bigint[])          AS visitor_id,
           unnest(@session_starts::timestamptz[])  AS session_start,
           unnest(@session_ends::timestamptz[])    AS session_end,
           unnest(@durations::integer[])           AS duration_seconds,
           unnest(@event_counts::integer[])        AS event_count,
           unnest(@view_counts::integer[])         AS view_count,
           unnest(@cart_counts::integer[])         AS cart_count,
           unnest(@transaction_counts::integer[])  AS transaction_count,
           unnest(@items_viewed::text[])           AS items_viewed,
           unnest(@items_carted::text[])           AS items_carted,
           unnest(@items_purchased::text[])        AS items_purchased
) AS s
ON CONFLICT (session_id) DO UPDATE SET
    session_start     = EXCLUDED.session_start,
    session_end       = EXCLUDED.session_end,
    duration_seconds  = EXCLUDED.duration_seconds,
    event_count       = EXCLUDED.event_count,
    view_count        = EXCLUDED.view_count,
    cart_count        = EXCLUDED.cart_count,
    transaction_count = EXCLUDED.transaction_count,
    items_viewed      = EXCLUDED.items_viewed,
    items_carted      = EXCLUDED.items_carted,
    items_purchased   = EXCLUDED.items_purchased,
    converted         = EXCLUDED.converted;

-- name: LatestSessions :many
-- The newest session of each visitor, to continue from when no cached state
-- can be trusted.
SELECT DISTINCT ON (visitor_id)
       session_id, visitor_id, session_start, session_end,
       event_count, view_count, cart_count, transaction_count,
       items_viewed, items_carted, items_purchased
FROM sessions
WHERE visitor_id = ANY(@visitor_ids::bigint[])
ORDER BY visitor_id, session_start DESC;

-- name: ClaimPartition :one
-- Returns where a partition stands, creating its row at offset 0 first.
INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset)
VALUES (@consumer_group, @topic, @partition, 0)
ON CONFLICT (consumer_group, topic, partition)
DO UPDATE SET consumer_group = EXCLUDED.consumer_group
RETURNING next_offset, generation;

-- name: AdvanceOffset :execrows
-- Moves a partition's offset from the value its owner last read; zero rows
-- means another consumer moved it first.
UPDATE consumer_offsets
SET next_offset = @next_offset, updated_at = now()
WHERE consumer_group = @consumer_group AND topic = @topic AND partition = @partition
  AND next_offset = @expected_offset;

-- name: BumpGeneration :one
UPDATE consumer_offsets
SET generation = nextval('cache_generation')
WHERE consumer_group = @consumer_group AND topic = @topic AND partition = @partition
RETURNING generation;

-- name: PartitionOffsets :many
SELECT topic, partition, next_offset, generation, updated_at
FROM consumer_offsets
WHERE consumer_group = @consumer_group
ORDER BY topic, partition;
