-- Queries on leases and what they hold (catalog/lease_rows.cc), PostgreSQL.
-- A resource's type is 'content' (id: a digest) or 'ingest' (id: a ref).

-- name: lease_insert
INSERT INTO leases (id, created_at, expires_at) VALUES (:id, :created_at, :expires_at)

-- name: lease_label_insert
INSERT INTO lease_labels (lease_id, key, value) VALUES (:lease_id, :key, :value)

-- name: lease_exists
SELECT 1 AS found FROM leases WHERE id = :id

-- name: lease_get
SELECT l.id AS id, l.created_at AS created_at, l.expires_at AS expires_at,
       ll.key AS key, ll.value AS value
FROM leases AS l LEFT JOIN lease_labels AS ll ON ll.lease_id = l.id
WHERE l.id = :id
ORDER BY ll.key

-- name: lease_list
-- The FILTER comment below is where the compiled filter goes, over the
-- leases row aliased l (catalog/filtered_query.h).
SELECT l.id AS id, l.created_at AS created_at, l.expires_at AS expires_at,
       ll.key AS key, ll.value AS value
FROM leases AS l LEFT JOIN lease_labels AS ll ON ll.lease_id = l.id
WHERE (/*FILTER l*/TRUE)
ORDER BY l.id, ll.key

-- name: lease_delete
-- Its labels and resources go with it (ON DELETE CASCADE).
DELETE FROM leases WHERE id = :id

-- name: lease_resource_add
INSERT INTO lease_resources (lease_id, type, id) VALUES (:lease_id, :type, :id)
ON CONFLICT (lease_id, type, id) DO NOTHING

-- name: lease_resource_remove
DELETE FROM lease_resources WHERE lease_id = :lease_id AND type = :type AND id = :id

-- name: lease_resources_of
SELECT type, id FROM lease_resources WHERE lease_id = :lease_id ORDER BY type, id

-- name: lease_ingest_becomes_content
-- At commit: every lease that held the ingest :ref now holds the blob
-- :digest. A lease deleted meanwhile simply holds nothing.
INSERT INTO lease_resources (lease_id, type, id)
SELECT lease_id, 'content', CAST(:digest AS text) FROM lease_resources
WHERE type = 'ingest' AND id = :ref
ON CONFLICT (lease_id, type, id) DO NOTHING

-- name: lease_ingest_release
DELETE FROM lease_resources WHERE type = 'ingest' AND id = :ref

-- name: leases_expired
SELECT id FROM leases WHERE expires_at IS NOT NULL AND expires_at <= :now ORDER BY id

-- name: leases_delete_expired
DELETE FROM leases WHERE expires_at IS NOT NULL AND expires_at <= :now
