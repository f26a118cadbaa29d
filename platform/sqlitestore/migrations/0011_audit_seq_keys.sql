-- The action log's entries were indexed by their hash (UNIQUE (client_id,
-- hash), and hash alone): a SHA-256 puts each new entry at a random place
-- in both b-trees, so a push of 1,000 entries dirtied most of their pages,
-- and every dirty page is written to the WAL at commit. A hash covers its
-- entry's sequence number, so (client_id, seq, hash) is as unique, a
-- client's new entries land at the end of its range, and it serves the
-- lookups by client and number (audit_entries_seq). The lookup by hash
-- alone (a log going on from another client id of the same user) knows the
-- number it wants: (user_id, seq, hash). SQLite changes a UNIQUE
-- constraint only by rebuilding the table; n and its AUTOINCREMENT
-- counter are kept.
CREATE TABLE audit_entries_new (
  n INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
  seq INTEGER NOT NULL, prev TEXT NOT NULL, kind TEXT NOT NULL, entry_client_id TEXT NOT NULL,
  at TEXT NOT NULL, body_hash TEXT NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL,
  order_id TEXT NOT NULL DEFAULT '', mutation_key TEXT NOT NULL DEFAULT '', fork_of TEXT NOT NULL DEFAULT '',
  received_at INTEGER NOT NULL, UNIQUE (client_id, seq, hash));
INSERT INTO audit_entries_new SELECT n, client_id, user_id, seq, prev, kind, entry_client_id, at, body_hash, hash, body,
  order_id, mutation_key, fork_of, received_at FROM audit_entries ORDER BY n;
INSERT INTO sqlite_sequence (name, seq) SELECT 'audit_entries_new', seq FROM sqlite_sequence WHERE name = 'audit_entries'
  AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_entries_new');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'audit_entries'))
  WHERE name = 'audit_entries_new' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_entries');
DROP TABLE audit_entries;
ALTER TABLE audit_entries_new RENAME TO audit_entries;
CREATE INDEX audit_entries_user ON audit_entries(user_id, seq, hash);
CREATE INDEX audit_entries_order ON audit_entries(order_id) WHERE order_id <> '';
CREATE INDEX audit_entries_key ON audit_entries(mutation_key) WHERE mutation_key <> '';
CREATE INDEX audit_entries_fork ON audit_entries(fork_of) WHERE fork_of <> '';
