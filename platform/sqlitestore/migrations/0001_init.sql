-- The platform's schema as it was before numbered migrations. Its statements
-- keep IF NOT EXISTS so that a database created before then (all of this
-- already present, no schema_migrations) is adopted as version 1 unchanged.
-- Entities are stored as the JSON of their wire shape (data) beside the
-- columns queries filter on, so a pull page is built from stored bytes
-- without decoding them.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS teams (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, street_office TEXT NOT NULL, district TEXT NOT NULL,
  review INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
  team_id TEXT NOT NULL DEFAULT '', pw_hash BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind TEXT NOT NULL, pair TEXT NOT NULL,
  expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_pair ON tokens(pair);
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, team_id TEXT NOT NULL, street_office TEXT NOT NULL, assignee_id TEXT NOT NULL,
  status TEXT NOT NULL, version INTEGER NOT NULL, cycle INTEGER NOT NULL,
  status_version INTEGER NOT NULL, dispatched_at INTEGER NOT NULL, citizen_phone TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_assignee ON orders(assignee_id);
CREATE INDEX IF NOT EXISTS orders_team ON orders(team_id);
CREATE TABLE IF NOT EXISTS assignments (order_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (order_id, user_id));
CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS notes_order ON notes(order_id);
CREATE TABLE IF NOT EXISTS photo_refs (
  id TEXT PRIMARY KEY, order_id TEXT NOT NULL, sha256 TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS photo_refs_order ON photo_refs(order_id);
CREATE INDEX IF NOT EXISTS photo_refs_sha ON photo_refs(sha256);
CREATE TABLE IF NOT EXISTS resolutions (
  id TEXT PRIMARY KEY, order_id TEXT NOT NULL, cycle INTEGER NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS resolutions_order ON resolutions(order_id);
CREATE TABLE IF NOT EXISTS blobs (
  sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, mime TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blob_access (sha256 TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (sha256, user_id));
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
  mime TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS uploads_user_sha ON uploads(user_id, sha256);
CREATE TABLE IF NOT EXISTS clients (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, last_mutation_id INTEGER NOT NULL,
  forgotten INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mutation_results (
  client_id TEXT NOT NULL, id INTEGER NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
  user_id TEXT NOT NULL, effect INTEGER NOT NULL, result TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (client_id, id));
CREATE INDEX IF NOT EXISTS mutation_results_key ON mutation_results(key);
-- The change log holds one row per entity (INSERT OR REPLACE gives a changed
-- entity a new sequence number), so a pull from any cursor — including 0, the
-- full snapshot — returns each entity at most once per page run.
CREATE TABLE IF NOT EXISTS change_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, entity_id TEXT NOT NULL,
  order_id TEXT NOT NULL DEFAULT '', assignee_id TEXT NOT NULL DEFAULT '', team_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '', client_id TEXT NOT NULL DEFAULT '', extra TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL, UNIQUE (type, entity_id));
CREATE INDEX IF NOT EXISTS change_log_assignee ON change_log(assignee_id, seq);
CREATE INDEX IF NOT EXISTS change_log_team ON change_log(team_id, seq);
CREATE INDEX IF NOT EXISTS change_log_user ON change_log(user_id, seq);
CREATE INDEX IF NOT EXISTS change_log_client ON change_log(client_id, seq);
CREATE INDEX IF NOT EXISTS change_log_order ON change_log(order_id);
