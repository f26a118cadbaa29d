-- Indexes for lookups that scanned a whole table: a team's members, the
-- expired tokens every sign-in drops, the uploads the expiry job finds.
CREATE INDEX users_team ON users(team_id);
CREATE INDEX tokens_expires ON tokens(expires_at);
CREATE INDEX uploads_created ON uploads(created_at);
