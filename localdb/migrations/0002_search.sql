-- Full-text search over title, complaint, address and notes: one document
-- per order (its text and all its notes), keyed by work_orders.qid, so a
-- match maps to the narrow queue table without another lookup.
-- search_text keeps each document's text for the rare exact-substring
-- check. fts_tri (trigram) serves words of 3+ characters; fts_uni indexes
-- every character as its own token (see unigramText), so 1–2 character words
-- are phrase queries on an index instead of a table scan.
CREATE TABLE search_text (
  qid  INTEGER PRIMARY KEY,
  text TEXT NOT NULL
);

CREATE VIRTUAL TABLE fts_tri USING fts5(text, tokenize = 'trigram', content = '', contentless_delete = 1);
CREATE VIRTUAL TABLE fts_uni USING fts5(text, tokenize = 'unicode61', content = '', contentless_delete = 1);

-- Orders whose search document is stale, reindexed by a background
-- indexer in short transactions (and before any search, so a search reads
-- its own writes): a pull page and a local edit only queue them, instead of
-- paying FTS5 flushes and merges inside their transaction. text is the
-- order's own text when the pull knew it (NULL: read it from the order).
CREATE TABLE search_queue (
  order_id TEXT PRIMARY KEY,
  text     TEXT
) WITHOUT ROWID;
