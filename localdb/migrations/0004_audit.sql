-- The action log (streetdesk.ChainEntry): every local action appended, in
-- the transaction of its effect and its outbox row, to a hash chain. Rows
-- are never updated except acked, and never deleted: a pull, a reset or a
-- revocation leaves them alone. order_id and mutation_key index the entries
-- of an order (evidence package) and of an outbox row (cross-checks).
CREATE TABLE audit_chain (
  seq          INTEGER PRIMARY KEY,
  prev         TEXT NOT NULL,
  kind         TEXT NOT NULL,
  client_id    TEXT NOT NULL,
  at           TEXT NOT NULL,
  body_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  body         TEXT NOT NULL,
  order_id     TEXT NOT NULL DEFAULT '',
  mutation_key TEXT NOT NULL DEFAULT '',
  acked        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audit_chain_order ON audit_chain(order_id, seq) WHERE order_id <> '';
CREATE INDEX audit_chain_key ON audit_chain(mutation_key) WHERE mutation_key <> '';
CREATE INDEX audit_chain_unacked ON audit_chain(seq) WHERE acked = 0;

-- Actions written before the log existed: their outbox rows and local items
-- have no entry, by design, and the cross-checks skip them.
CREATE TABLE audit_legacy (mutation_key TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT OR IGNORE INTO audit_legacy SELECT key FROM outbox;
INSERT OR IGNORE INTO audit_legacy SELECT mutation_key FROM notes WHERE origin = 'local' AND mutation_key <> '';
INSERT OR IGNORE INTO audit_legacy SELECT mutation_key FROM photo_refs WHERE origin = 'local' AND mutation_key <> '';
INSERT OR IGNORE INTO audit_legacy SELECT mutation_key FROM resolutions WHERE origin = 'local' AND mutation_key <> '';

-- The photo checks sent with a local resolution, with the caseworker's
-- explanations (JSON array of streetdesk.EvidenceCheck).
CREATE TABLE resolution_evidence (
  resolution_id TEXT PRIMARY KEY,
  mutation_key  TEXT NOT NULL,
  checks        TEXT NOT NULL
);
CREATE INDEX resolution_evidence_key ON resolution_evidence(mutation_key);

-- What a local photo's EXIF said beyond the time and place its reference
-- carries: whether the time had a zone, the camera, the orientation.
CREATE TABLE photo_exif (
  photo_ref_id TEXT PRIMARY KEY,
  zone_assumed INTEGER NOT NULL DEFAULT 0,
  camera       TEXT NOT NULL DEFAULT '',
  orientation  INTEGER NOT NULL DEFAULT 1
);
