-- Queries of the analytics service.

-- name: Funnel :one
-- The funnel of the sessions that started in [from, to). Most sessions have
-- neither a cart nor a purchase: those are only counted, and the others are
-- read through the partial index sessions_engaged_start. The sums leave
-- nothing out, since converted is transaction_count > 0.
SELECT (SELECT count(*) FROM sessions AS w
        WHERE w.session_start >= @from_time AND w.session_start < @to_time)::bigint AS sessions,
       count(*) FILTER (WHERE cart_count > 0)                   AS cart_sessions,
       count(*) FILTER (WHERE converted)                        AS purchase_sessions,
       coalesce(sum(transaction_count), 0)::bigint              AS purchases,
       count(*) FILTER (WHERE cart_count > 0 AND NOT converted) AS abandoned_sessions,
       coalesce(sum(cardinality(items_purchased)) FILTER (WHERE converted), 0)::bigint AS purchased_items
FROM sessions AS s
WHERE (s.cart_count > 0 OR s.converted)
  AND s.session_start >= @from_time AND s.session_start < @to_time;

-- name: FunnelAllTime :one
-- The funnel of every session, as Funnel. A query of its own, because a
-- plan made for a parameterised window would walk the start index over
-- every row to count them.
SELECT (SELECT count(*) FROM sessions)::bigint                   AS sessions,
       count(*) FILTER (WHERE cart_count > 0)                   AS cart_sessions,
       count(*) FILTER (WHERE converted)                        AS purchase_sessions,
       coalesce(sum(transaction_count), 0)::bigint              AS purchases,
       count(*) FILTER (WHERE cart_count > 0 AND NOT converted) AS abandoned_sessions,
       coalesce(sum(cardinality(items_purchased)) FILTER (WHERE converted), 0)::bigint AS purchased_items
FROM sessions
WHERE cart_count > 0 OR converted;

-- name: NewestSessionStart :one
SELECT coalesce(max(session_start), 'epoch'::timestamptz)::timestamptz AS newest FROM sessions;

-- name: TopItems :many
-- The items with the most events of a type in [from, to).
SELECT item_id, count(*) AS events
FROM events
WHERE event_type = @event_type AND event_time >= @from_time AND event_time < @to_time
GROUP BY item_id
ORDER BY events DESC, item_id
LIMIT @max_items;

-- name: TableCounts :one
SELECT (SELECT count(*) FROM events)   AS events,
       (SELECT count(*) FROM sessions) AS sessions;

-- name: DataVersion :one
-- Changes whenever a sink commits a batch or the tables are reset: every
-- write to sessions moves a stored offset in the same transaction.
SELECT coalesce(sum(next_offset), 0)::bigint AS offsets,
       count(*)                              AS partitions,
       coalesce(max(updated_at), 'epoch'::timestamptz)::timestamptz AS updated
FROM consumer_offsets;
