-- Migration 8 (migrations/0008_gc_labels_leave_key_index.sql in SQLite's
-- dialect, which says why): reference labels leave the (key, value) index,
-- and gc_roots names the index's condition so it still finds its labels
-- through the index.

DROP INDEX blob_labels_by_key_value;
CREATE INDEX blob_labels_by_key_value ON blob_labels (key, value) WHERE NOT gc_reference;

CREATE OR REPLACE VIEW gc_roots (digest, reason) AS
SELECT digest, 'label containerd.io/gc.root'
FROM blob_labels
WHERE key = 'containerd.io/gc.root' AND NOT gc_reference
UNION ALL
SELECT r.id, 'lease ' || r.lease_id
FROM lease_resources AS r JOIN leases AS l ON l.id = r.lease_id
WHERE r.type = 'content'
  AND (l.expires_at IS NULL OR l.expires_at > (SELECT now FROM gc_now))
UNION ALL
SELECT expected, 'ingest ' || ref
FROM ingests
WHERE expected IS NOT NULL
UNION ALL
SELECT digest, 'image ' || name
FROM images;
