-- Failed sign-ins per account and per address, in fixed windows: counted in
-- the database so that every instance behind a load balancer sees them.
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL, -- unix ms
    n            INTEGER NOT NULL
);
CREATE INDEX login_failures_start ON login_failures(window_start);
