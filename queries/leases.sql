-- Queries on leases and what they hold.

-- name: lease_insert
INSERT INTO leases (id, created_at, expires_at) VALUES (?1, ?2, ?3)

-- name: lease_label_insert
INSERT INTO lease_labels (lease_id, key, value) VALUES (?1, ?2, ?3)

-- name: lease_exists
SELECT 1 FROM leases WHERE id = ?1

-- name: lease_get
SELECT l.id, l.created_at, l.expires_at, ll.key, ll.value
FROM leases AS l LEFT JOIN lease_labels AS ll ON ll.lease_id = l.id
WHERE l.id = ?1
ORDER BY ll.key

-- name: lease_list
-- The FILTER comment below marks where the store puts the compiled filter.
SELECT l.id, l.created_at, l.expires_at, ll.key, ll.value
FROM leases AS l LEFT JOIN lease_labels AS ll ON ll.lease_id = l.id
WHERE (/*FILTER*/1)
ORDER BY l.id, ll.key

-- name: lease_delete
-- Its labels and resources go with it (ON DELETE CASCADE).
DELETE FROM leases WHERE id = ?1

-- name: lease_resource_add
INSERT INTO lease_resources (lease_id, type, id) VALUES (?1, ?2, ?3)
ON CONFLICT (lease_id, type, id) DO NOTHING

-- name: lease_resource_remove
DELETE FROM lease_resources WHERE lease_id = ?1 AND type = ?2 AND id = ?3

-- name: lease_resources_of
SELECT type, id FROM lease_resources WHERE lease_id = ?1 ORDER BY type, id

-- name: lease_ingest_becomes_content
-- At commit: every lease that held the ingest ?1 now holds the blob ?2. A
-- lease deleted meanwhile simply holds nothing (the commit still succeeds).
INSERT INTO lease_resources (lease_id, type, id)
SELECT lease_id, 'content', ?2 FROM lease_resources WHERE type = 'ingest' AND id = ?1
ON CONFLICT (lease_id, type, id) DO NOTHING

-- name: lease_ingest_release
DELETE FROM lease_resources WHERE type = 'ingest' AND id = ?1
