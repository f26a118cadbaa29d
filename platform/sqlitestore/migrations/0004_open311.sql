-- Open311 GeoReport v2 (platform/open311.go): requests are looked up by
-- service_code (the level-3 code inside the order's JSON) and a dispatch
-- time window, newest first.
CREATE INDEX orders_l3 ON orders(json_extract(data, '$.category.l3Code'), dispatched_at);
CREATE INDEX orders_dispatched ON orders(dispatched_at);
