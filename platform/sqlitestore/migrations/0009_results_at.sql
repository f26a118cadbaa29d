-- Stored mutation results are pruned past the change-log retention, oldest
-- first (PruneResults).
CREATE INDEX IF NOT EXISTS mutation_results_at ON mutation_results(at);
