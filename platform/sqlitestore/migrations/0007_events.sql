-- Big-data event orders (issue 13): the last district-wide hotspot analysis
-- (one row, replaced on every run), the leads' event proposals waiting for
-- the dispatcher. (The analysis reads recent orders by orders_dispatched,
-- which the Open311 migration made.)
-- Event orders themselves are orders (kind "event" in their data).
CREATE TABLE hotspot_analysis (
  id INTEGER PRIMARY KEY CHECK (id = 1), run_at INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE event_proposals (
  id TEXT PRIMARY KEY, team_id TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL,
  data TEXT NOT NULL);
CREATE INDEX event_proposals_state ON event_proposals(state, created_at);
