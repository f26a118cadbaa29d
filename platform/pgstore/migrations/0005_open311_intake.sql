-- Open311 POST requests (platform/open311_post.go; the same as SQLite migration 6): the channels' api_keys
-- (hashed) and the centre's intake queue, each request as the JSON of
-- store.Intake beside the columns it is found by.
CREATE TABLE open311_keys (
  hash TEXT PRIMARY KEY, channel TEXT NOT NULL, name TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE open311_intake (
  token TEXT PRIMARY KEY, order_id TEXT NOT NULL DEFAULT '', received_at BIGINT NOT NULL, data TEXT NOT NULL);
CREATE INDEX open311_intake_queue ON open311_intake(order_id, received_at);
