-- The action logs desks push (issue 15): entries kept per pushing client as
-- they came (a fork keeps both branches: unique per client and hash), the
-- digests of the mutations they record, and what the platform flagged.
CREATE TABLE audit_entries (
  n INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
  seq INTEGER NOT NULL, prev TEXT NOT NULL, kind TEXT NOT NULL, entry_client_id TEXT NOT NULL,
  at TEXT NOT NULL, body_hash TEXT NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL,
  order_id TEXT NOT NULL DEFAULT '', mutation_key TEXT NOT NULL DEFAULT '', fork_of TEXT NOT NULL DEFAULT '',
  received_at INTEGER NOT NULL, UNIQUE (client_id, hash));
CREATE INDEX audit_entries_seq ON audit_entries(client_id, seq);
CREATE INDEX audit_entries_hash ON audit_entries(hash);
CREATE INDEX audit_entries_order ON audit_entries(order_id) WHERE order_id <> '';
CREATE INDEX audit_entries_key ON audit_entries(mutation_key) WHERE mutation_key <> '';
CREATE INDEX audit_entries_fork ON audit_entries(fork_of) WHERE fork_of <> '';
CREATE TABLE audit_actions (
  key TEXT PRIMARY KEY, client_id TEXT NOT NULL, mutation_id INTEGER NOT NULL, user_id TEXT NOT NULL,
  order_id TEXT NOT NULL, action_hash TEXT NOT NULL, checks_hash TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE audit_flags (
  id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
  seq INTEGER NOT NULL, hash TEXT NOT NULL, order_id TEXT NOT NULL, mutation_key TEXT NOT NULL,
  fork_client_id TEXT NOT NULL, fork_seq INTEGER NOT NULL, fork_hash TEXT NOT NULL, message TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX audit_flags_client ON audit_flags(client_id, id);
CREATE INDEX audit_flags_order ON audit_flags(order_id) WHERE order_id <> '';
