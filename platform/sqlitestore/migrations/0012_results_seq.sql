-- A push's results were also written to the change log, one row each (with
-- their JSON twice and an entry in four of its b-trees), only so that a
-- client whose answer was lost pulls them. The results now keep their
-- place in the change log's sequence themselves (numbers reserved from its
-- counter, StoreResults), and the pull reads a client's results from here
-- by (client_id, seq). The rows already in the change log give their
-- numbers, so cursors stay valid.
ALTER TABLE mutation_results ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mutation_results ADD COLUMN order_id TEXT NOT NULL DEFAULT '';
UPDATE mutation_results SET seq = c.seq, order_id = c.order_id
  FROM change_log c
  WHERE c.type = 'mutationResult' AND c.entity_id = mutation_results.client_id || '/' || mutation_results.id;
DELETE FROM change_log WHERE type = 'mutationResult';
CREATE INDEX mutation_results_seq ON mutation_results(client_id, seq);
-- The change log holds no client's rows any more.
DROP INDEX IF EXISTS change_log_client;
