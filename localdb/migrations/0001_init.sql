-- The caseworker's local store (DESIGN §5, reference §a10).

CREATE TABLE sync_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- The shadow: the platform's view of each order, written ONLY by ApplyPull.
-- work_orders holds the columns the queue filters and sorts on, narrow so
-- that scans and lookups stay in the page cache; the full
-- streetdesk.WorkOrder JSON of the same row is in work_order_data (same
-- qid). deadline is the order's current deadline (unix ms). qid is a
-- stable local key (also the rowid of the search index documents).
CREATE TABLE work_orders (
  qid             INTEGER PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  version         INTEGER NOT NULL,
  cycle           INTEGER NOT NULL,
  status          TEXT NOT NULL,
  urgency_rank    INTEGER NOT NULL,
  assignee_id     TEXT NOT NULL DEFAULT '',
  team_id         TEXT NOT NULL DEFAULT '',
  category_l3     TEXT NOT NULL DEFAULT '',
  district        TEXT NOT NULL DEFAULT '',
  street_office   TEXT NOT NULL DEFAULT '',
  community       TEXT NOT NULL DEFAULT '',
  accept_by       INTEGER,
  resolve_by      INTEGER,
  deadline        INTEGER,
  dispatched_at   INTEGER NOT NULL DEFAULT 0,
  access          TEXT NOT NULL DEFAULT 'assigned' CHECK (access IN ('assigned', 'revoked')),
  revoke_reason   TEXT NOT NULL DEFAULT '',
  revoke_assignee TEXT NOT NULL DEFAULT '',
  revoke_status   TEXT NOT NULL DEFAULT '',
  pulled_at       INTEGER NOT NULL
);
CREATE INDEX work_orders_status ON work_orders(status, urgency_rank, deadline);
CREATE INDEX work_orders_deadline ON work_orders(deadline);
CREATE INDEX work_orders_dispatched ON work_orders(dispatched_at);
CREATE INDEX work_orders_assignee ON work_orders(assignee_id, status);
CREATE INDEX work_orders_place ON work_orders(district, street_office, community);
CREATE INDEX work_orders_street ON work_orders(street_office, community);
CREATE INDEX work_orders_category ON work_orders(category_l3);

CREATE TABLE work_order_data (
  qid  INTEGER PRIMARY KEY REFERENCES work_orders(qid) ON DELETE CASCADE,
  data TEXT NOT NULL
);

-- A reset (full snapshot) is written here page by page and swapped in with
-- the last page, so the UI never sees a half-empty queue.
CREATE TABLE work_orders_staging (
  id      TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  data    TEXT NOT NULL
);

-- What the pending intents change about an order, recomputed after every
-- outbox or shadow change for that order: only orders with such intents
-- have a row, so the queue reads the shadow's indexes for everything else.
CREATE TABLE overlay (
  order_id    TEXT PRIMARY KEY,
  status      TEXT NOT NULL,
  assignee_id TEXT NOT NULL,
  deadline    INTEGER
);

-- The transactional outbox of intents (mutations).
CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  key          TEXT NOT NULL UNIQUE,
  client_id    TEXT NOT NULL,
  name         TEXT NOT NULL,
  order_id     TEXT NOT NULL,
  base_version INTEGER NOT NULL,
  base_cycle   INTEGER NOT NULL,
  args         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'answered', 'rejected', 'conflict')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER,
  last_error   TEXT NOT NULL DEFAULT '',
  result       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_order ON outbox(order_id, id);

CREATE TABLE notes (
  id           TEXT PRIMARY KEY,
  order_id     TEXT NOT NULL,
  kind         TEXT NOT NULL,
  body         TEXT NOT NULL,
  method       TEXT NOT NULL DEFAULT '',
  reached      INTEGER NOT NULL DEFAULT 0,
  author_id    TEXT NOT NULL DEFAULT '',
  author_name  TEXT NOT NULL DEFAULT '',
  cycle        INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  author_was_assignee INTEGER NOT NULL DEFAULT 1,
  origin       TEXT NOT NULL CHECK (origin IN ('local', 'server')),
  mutation_key TEXT NOT NULL DEFAULT '',
  server_seen  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notes_order ON notes(order_id, created_at);

CREATE TABLE resolutions (
  id            TEXT PRIMARY KEY,
  order_id      TEXT NOT NULL,
  cycle         INTEGER NOT NULL,
  outcome       TEXT NOT NULL,
  reply         TEXT NOT NULL,
  photo_ref_ids TEXT NOT NULL,
  state         TEXT NOT NULL,
  author_id     TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  origin        TEXT NOT NULL CHECK (origin IN ('local', 'server')),
  mutation_key  TEXT NOT NULL DEFAULT '',
  server_seen   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX resolutions_order ON resolutions(order_id, created_at);

-- Content-addressed media. state: local (to upload) | uploading | verified |
-- remote (someone else's, not on disk) | failed | missing_local.
CREATE TABLE blobs (
  sha256     TEXT PRIMARY KEY,
  path       TEXT NOT NULL DEFAULT '',
  size       INTEGER NOT NULL,
  mime       TEXT NOT NULL,
  width      INTEGER NOT NULL DEFAULT 0,
  height     INTEGER NOT NULL DEFAULT 0,
  state      TEXT NOT NULL,
  tus_url    TEXT NOT NULL DEFAULT '',
  uploaded_offset INTEGER NOT NULL DEFAULT 0,
  priority   INTEGER NOT NULL DEFAULT 0,
  attempts   INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  verified_at INTEGER
);

CREATE TABLE photo_refs (
  id           TEXT PRIMARY KEY,
  order_id     TEXT NOT NULL,
  sha256       TEXT NOT NULL REFERENCES blobs(sha256),
  size         INTEGER NOT NULL,
  mime         TEXT NOT NULL,
  tag          TEXT NOT NULL DEFAULT '',
  caption      TEXT NOT NULL DEFAULT '',
  taken_at     INTEGER,
  lat          REAL NOT NULL DEFAULT 0,
  lng          REAL NOT NULL DEFAULT 0,
  author_id    TEXT NOT NULL DEFAULT '',
  cycle        INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  origin       TEXT NOT NULL CHECK (origin IN ('local', 'server')),
  mutation_key TEXT NOT NULL DEFAULT '',
  server_seen  INTEGER NOT NULL DEFAULT 0,
  blob_present INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX photo_refs_order ON photo_refs(order_id, created_at);
CREATE INDEX photo_refs_sha ON photo_refs(sha256);

-- The "needs attention" inbox; never deleted automatically.
CREATE TABLE conflicts (
  id           INTEGER PRIMARY KEY,
  mutation_id  INTEGER NOT NULL,
  mutation_key TEXT NOT NULL UNIQUE,
  order_id     TEXT NOT NULL,
  name         TEXT NOT NULL,
  status       TEXT NOT NULL,
  code         TEXT NOT NULL,
  explanation  TEXT NOT NULL,
  intent       TEXT NOT NULL,
  result       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  dismissed_at INTEGER
);
CREATE INDEX conflicts_order ON conflicts(order_id);

-- Ring buffer for support (the last ~2,000 lines).
CREATE TABLE sync_log (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  status     INTEGER NOT NULL DEFAULT 0,
  ms         INTEGER NOT NULL DEFAULT 0,
  detail     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE taxonomy (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  data TEXT NOT NULL
);

CREATE TABLE roster (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  data TEXT NOT NULL
);
