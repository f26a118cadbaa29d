-- Covering indexes in the queue's sort orders, so a page of a large queue
-- is read in order from one index and stops after the page instead of
-- sorting every matching row (see queue.go).
CREATE INDEX work_orders_risk ON work_orders(urgency_rank, deadline, id, status, assignee_id, district,
  street_office, community, category_l3, dispatched_at);
CREATE INDEX work_orders_recent ON work_orders(dispatched_at DESC, id, status, assignee_id, district,
  street_office, community, category_l3, urgency_rank, deadline);
DROP INDEX work_orders_dispatched;
DROP INDEX work_orders_deadline;
