-- The platform's schema on PostgreSQL: the tables, columns and indexes of
-- the SQLite store's first migration, in PostgreSQL's types. Entities are
-- stored as the JSON text of their wire shape (data, TEXT rather than JSONB,
-- which would reorder keys) beside the columns queries filter on, so a pull
-- page is built from stored bytes without decoding them, byte for byte as on
-- SQLite. Times are unix milliseconds. The entity tables number their rows
-- (n) for "in the order they arrived", which SQLite reads from its rowid.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE teams (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, street_office TEXT NOT NULL, district TEXT NOT NULL,
  review INTEGER NOT NULL DEFAULT 0);
CREATE TABLE users (
  id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
  team_id TEXT NOT NULL DEFAULT '', pw_hash BYTEA NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX users_team ON users(team_id);
CREATE TABLE tokens (
  hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind TEXT NOT NULL, pair TEXT NOT NULL,
  expires_at BIGINT NOT NULL);
CREATE INDEX tokens_pair ON tokens(pair);
CREATE INDEX tokens_expires ON tokens(expires_at);
CREATE TABLE orders (
  id TEXT PRIMARY KEY, team_id TEXT NOT NULL, street_office TEXT NOT NULL, assignee_id TEXT NOT NULL,
  status TEXT NOT NULL, version BIGINT NOT NULL, cycle INTEGER NOT NULL,
  status_version BIGINT NOT NULL, dispatched_at BIGINT NOT NULL, citizen_phone TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL);
CREATE INDEX orders_assignee ON orders(assignee_id);
CREATE INDEX orders_team ON orders(team_id);
CREATE TABLE assignments (order_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (order_id, user_id));
CREATE TABLE notes (
  id TEXT PRIMARY KEY, order_id TEXT NOT NULL, data TEXT NOT NULL, n BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE INDEX notes_order ON notes(order_id, n);
CREATE TABLE photo_refs (
  id TEXT PRIMARY KEY, order_id TEXT NOT NULL, sha256 TEXT NOT NULL, data TEXT NOT NULL,
  n BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE INDEX photo_refs_order ON photo_refs(order_id, n);
CREATE INDEX photo_refs_sha ON photo_refs(sha256);
CREATE TABLE resolutions (
  id TEXT PRIMARY KEY, order_id TEXT NOT NULL, cycle INTEGER NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL,
  n BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE INDEX resolutions_order ON resolutions(order_id, n);
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, mime TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE blob_access (sha256 TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (sha256, user_id));
CREATE TABLE uploads (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL,
  mime TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX uploads_user_sha ON uploads(user_id, sha256);
CREATE INDEX uploads_created ON uploads(created_at);
CREATE TABLE clients (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, last_mutation_id BIGINT NOT NULL,
  forgotten INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);
CREATE TABLE mutation_results (
  client_id TEXT NOT NULL, id BIGINT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
  user_id TEXT NOT NULL, effect INTEGER NOT NULL, result TEXT NOT NULL, at BIGINT NOT NULL,
  PRIMARY KEY (client_id, id));
CREATE INDEX mutation_results_key ON mutation_results(key);
-- The change log holds one row per entity: a changed entity's row gets the
-- next number of change_log_seq (INSERT … ON CONFLICT DO UPDATE, as SQLite's
-- INSERT OR REPLACE). Write transactions take their turn on an advisory lock
-- that is released only after their commit is visible, so numbers are handed
-- out in commit order and a cursor never passes a change committed later.
CREATE SEQUENCE change_log_seq;
CREATE TABLE change_log (
  seq BIGINT PRIMARY KEY DEFAULT nextval('change_log_seq'), type TEXT NOT NULL, entity_id TEXT NOT NULL,
  order_id TEXT NOT NULL DEFAULT '', assignee_id TEXT NOT NULL DEFAULT '', team_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '', client_id TEXT NOT NULL DEFAULT '', extra TEXT NOT NULL DEFAULT '',
  version BIGINT NOT NULL DEFAULT 0, at BIGINT NOT NULL, UNIQUE (type, entity_id));
ALTER SEQUENCE change_log_seq OWNED BY change_log.seq;
CREATE INDEX change_log_assignee ON change_log(assignee_id, seq);
CREATE INDEX change_log_team ON change_log(team_id, seq);
CREATE INDEX change_log_user ON change_log(user_id, seq);
CREATE INDEX change_log_client ON change_log(client_id, seq);
CREATE INDEX change_log_order ON change_log(order_id);
