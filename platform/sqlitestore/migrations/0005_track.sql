-- The citizen progress page (/track): failed look-ups per order number and
-- per address in fixed windows (shared by every instance, like
-- login_failures, with a longer window), and the rating a citizen gave per
-- order and cycle (once per cycle).
CREATE TABLE track_failures (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL, -- unix ms
    n            INTEGER NOT NULL
);
CREATE INDEX track_failures_start ON track_failures(window_start);
CREATE TABLE track_ratings (
    order_id   TEXT NOT NULL,
    cycle      INTEGER NOT NULL,
    rating     TEXT NOT NULL,
    created_at INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (order_id, cycle)
);
