-- The action log's entries were indexed by their hash (UNIQUE (client_id,
-- hash), and hash alone): a SHA-256 puts each new entry at a random place
-- in both b-trees, so a push of 1,000 entries dirtied most of their pages.
-- A hash covers its entry's sequence number, so (client_id, seq, hash) is
-- as unique, a client's new entries land at the end of its range, and it
-- serves the lookups by client and number (audit_entries_seq). The lookup
-- by hash alone (a log going on from another client id of the same user)
-- knows the number it wants: (user_id, seq, hash). As in SQLite's
-- migration 11.
ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_client_id_hash_key;
ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_client_seq_hash UNIQUE (client_id, seq, hash);
DROP INDEX audit_entries_seq;
DROP INDEX audit_entries_hash;
CREATE INDEX audit_entries_user ON audit_entries(user_id, seq, hash);
