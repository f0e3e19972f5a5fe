-- The garbage collector's queries. Reachability itself is the view
-- gc_reachable (schema/schema.sql), shared with outside tools.

-- name: gc_expired_leases
SELECT id FROM leases WHERE expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY id

-- name: gc_delete_expired_leases
DELETE FROM leases WHERE expires_at IS NOT NULL AND expires_at <= ?1

-- name: gc_stale_ingests
-- Ingests not written since ?1 that no unexpired lease (as of ?2) holds.
-- Whether a live writer holds them is for the flock to say.
SELECT i.ref, i.id, i.updated_at
FROM ingests AS i
WHERE i.updated_at < ?1
  AND NOT EXISTS (SELECT 1
                  FROM lease_resources AS r JOIN leases AS l ON l.id = r.lease_id
                  WHERE r.type = 'ingest' AND r.id = i.ref
                    AND (l.expires_at IS NULL OR l.expires_at > ?2))
ORDER BY i.ref

-- name: gc_ingest_id_exists
SELECT 1 FROM ingests WHERE id = ?1

-- name: gc_doomed_create
CREATE TEMP TABLE IF NOT EXISTS gc_doomed (
  digest TEXT PRIMARY KEY NOT NULL,
  size   INTEGER NOT NULL
) WITHOUT ROWID

-- name: gc_doomed_clear
DELETE FROM temp.gc_doomed

-- name: gc_doomed_mark
-- Mark and sweep in one statement: unreachable and older than the grace
-- cutoff ?1.
INSERT INTO temp.gc_doomed (digest, size)
SELECT digest, size FROM gc_unreachable WHERE created_at < ?1

-- name: gc_doomed_queue_files
INSERT INTO pending_file_deletions (digest, deleted_at)
SELECT digest, ?1 FROM temp.gc_doomed WHERE true
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: gc_doomed_delete_rows
DELETE FROM blobs WHERE digest IN (SELECT digest FROM temp.gc_doomed)

-- name: gc_doomed_list
SELECT digest, size FROM temp.gc_doomed ORDER BY digest

-- name: gc_would_remove
-- The dry run: the same set gc_doomed_mark computes.
SELECT digest, size FROM gc_unreachable WHERE created_at < ?1 ORDER BY digest
