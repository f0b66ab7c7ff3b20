-- Events: one row per distinct event. The primary key is the exact event
-- identity, so a replayed or duplicated event is stored once.
CREATE TABLE events (
    visitor_id     bigint      NOT NULL,
    event_time     timestamptz NOT NULL,
    event_type     text        NOT NULL CHECK (event_type IN ('view', 'addtocart', 'transaction')),
    item_id        bigint      NOT NULL,
    transaction_id bigint,
    PRIMARY KEY (visitor_id, event_time, event_type, item_id)
);

-- Sessions: one row per visitor session, upserted with absolute values as the
-- session grows. session_id is <visitor>_<n>.
CREATE TABLE sessions (
    session_id        text        PRIMARY KEY,
    visitor_id        bigint      NOT NULL,
    session_start     timestamptz NOT NULL,
    session_end       timestamptz NOT NULL,
    duration_seconds  integer     NOT NULL,
    event_count       integer     NOT NULL,
    view_count        integer     NOT NULL,
    cart_count        integer     NOT NULL,
    transaction_count integer     NOT NULL,
    items_viewed      bigint[]    NOT NULL,
    items_carted      bigint[]    NOT NULL,
    items_purchased   bigint[]    NOT NULL,
    converted         boolean     NOT NULL
);

CREATE INDEX sessions_visitor_start ON sessions (visitor_id, session_start DESC);

-- Consumer offsets, advanced in the same transaction as the rows they cover
-- and only from the value the writer last read, so that a consumer that lost
-- its partition cannot move them. next_offset is the first offset not yet
-- applied. generation numbers the cached session state in Valkey: a bump
-- makes every state cached under an older generation untrusted. Generations
-- come from a sequence, which truncating the table does not reset, so that
-- they only ever grow.
CREATE SEQUENCE cache_generation;

CREATE TABLE consumer_offsets (
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    next_offset    bigint      NOT NULL,
    generation     bigint      NOT NULL DEFAULT nextval('cache_generation'),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);
