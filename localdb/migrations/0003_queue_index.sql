-- Covering indexes for the queue: two in the queue's sort orders, so a page
-- of a large queue is read in order from one index and stops after the page
-- instead of sorting every match (see queue.go), and filter indexes that
-- carry the other filter columns so counts never touch the wide rows.
CREATE INDEX work_orders_risk ON work_orders(urgency_rank, deadline, id, status, assignee_id, district,
  street_office, community, category_l3, dispatched_at);
CREATE INDEX work_orders_recent ON work_orders(dispatched_at DESC, id, status, assignee_id, district,
  street_office, community, category_l3, urgency_rank, deadline);
DROP INDEX work_orders_dispatched;
DROP INDEX work_orders_deadline;
CREATE INDEX work_orders_deadline ON work_orders(deadline, status, assignee_id);
DROP INDEX work_orders_place;
CREATE INDEX work_orders_place ON work_orders(district, street_office, community, status, assignee_id, deadline);
DROP INDEX work_orders_street;
CREATE INDEX work_orders_street ON work_orders(street_office, community, status, assignee_id, deadline);
DROP INDEX work_orders_category;
CREATE INDEX work_orders_category ON work_orders(category_l3, status, assignee_id, deadline);
