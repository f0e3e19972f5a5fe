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

-- name: gc_temp_create
-- The run's scratch tables: what the walk reached (gc_nodes ids) and what
-- the sweep removes.
CREATE TEMP TABLE IF NOT EXISTS gc_reached (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_doomed (
  digest TEXT PRIMARY KEY NOT NULL,
  size   INTEGER NOT NULL
) WITHOUT ROWID

-- name: gc_temp_clear
DELETE FROM temp.gc_reached;
DELETE FROM temp.gc_doomed

-- name: gc_mark
-- The walk: the recursive view over the numbered graph.
INSERT INTO temp.gc_reached (id) SELECT id FROM gc_reachable_ids WHERE true
ON CONFLICT (id) DO NOTHING

-- name: gc_doomed_mark
-- Unreachable and older than the grace cutoff ?1 (gc_unreachable, with the
-- walk already in a table). A blob without a number is kept.
INSERT INTO temp.gc_doomed (digest, size)
SELECT b.digest, b.size
FROM blobs AS b
WHERE b.created_at < ?1 AND b.gc_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM temp.gc_reached AS r WHERE r.id = b.gc_id)

-- name: gc_doomed_queue_files
INSERT INTO pending_file_deletions (digest, deleted_at)
SELECT digest, ?1 FROM temp.gc_doomed WHERE true
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: gc_doomed_delete_rows
DELETE FROM blobs WHERE digest IN (SELECT digest FROM temp.gc_doomed)

-- name: gc_nodes_to_check_any
SELECT 1 FROM gc_nodes_to_check LIMIT 1

-- name: gc_check_node_of
-- A removed blob's file is gone (file_reaper.cc): its node is to be checked.
INSERT INTO gc_nodes_to_check (id)
SELECT id FROM gc_nodes WHERE digest = ?1
ON CONFLICT (id) DO NOTHING

-- name: gc_forget_nodes
-- Once removals pause, and on every explicit flush (file_reaper.cc): noted
-- nodes that no blob has and no link names.
DELETE FROM gc_nodes
WHERE id IN (SELECT id FROM gc_nodes_to_check)
  AND NOT EXISTS (SELECT 1 FROM gc_links AS l WHERE l.child = gc_nodes.id)
  AND NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.digest = gc_nodes.digest);
DELETE FROM gc_nodes_to_check

-- name: gc_doomed_list
SELECT digest, size FROM temp.gc_doomed ORDER BY digest

-- name: gc_would_remove
-- The dry run: the same set gc_doomed_mark computes.
SELECT digest, size FROM gc_unreachable WHERE created_at < ?1 ORDER BY digest
