-- The search document now also holds the order number, the category's
-- names and department, and the citizen's name and masked phone
-- (streetdesk.WorkOrder.SearchText): every order's document is rebuilt by
-- the background indexer.
INSERT OR IGNORE INTO search_queue(order_id) SELECT id FROM work_orders;
