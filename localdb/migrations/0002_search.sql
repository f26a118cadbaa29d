-- Full-text search over title, complaint, address and notes.
-- search_doc holds one row per searchable document (ref "o:<order>" or
-- "n:<note>"); its rowid is the rowid of both FTS tables.
-- fts_tri (trigram) serves queries of 3+ characters; fts_uni indexes every
-- letter or digit as its own token, so 1–2 character queries are phrase
-- queries on the index instead of a table scan.
CREATE TABLE search_doc (
  rowid    INTEGER PRIMARY KEY,
  ref      TEXT NOT NULL UNIQUE,
  order_id TEXT NOT NULL,
  text     TEXT NOT NULL
);
CREATE INDEX search_doc_order ON search_doc(order_id);

CREATE VIRTUAL TABLE fts_tri USING fts5(text, tokenize = 'trigram', content = '', contentless_delete = 1);
CREATE VIRTUAL TABLE fts_uni USING fts5(text, tokenize = 'unicode61', content = '', contentless_delete = 1);
