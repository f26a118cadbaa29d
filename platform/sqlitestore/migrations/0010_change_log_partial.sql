-- A change-log row names an assignee and a team (an order's entities), a
-- user (a revocation) or a client (a mutation's result), rarely more than
-- one of these: the index by each now holds only the rows that have one, so
-- a push's rows (a note's entry, each mutation's result) go into two or
-- three fewer b-trees. The queries by these columns say "<> ''" so that
-- SQLite uses these indexes.
DROP INDEX IF EXISTS change_log_assignee;
DROP INDEX IF EXISTS change_log_team;
DROP INDEX IF EXISTS change_log_user;
DROP INDEX IF EXISTS change_log_client;
CREATE INDEX change_log_assignee ON change_log(assignee_id, seq) WHERE assignee_id <> '';
CREATE INDEX change_log_team ON change_log(team_id, seq) WHERE team_id <> '';
CREATE INDEX change_log_user ON change_log(user_id, seq) WHERE user_id <> '';
CREATE INDEX change_log_client ON change_log(client_id, seq) WHERE client_id <> '';
