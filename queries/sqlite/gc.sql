-- The garbage collector's queries (catalog/gc_rows.cc). Reachability itself
-- is the schema's view gc_reachable_ids, shared with outside tools, and
-- "now" is the view gc_now, so a collection and the sqlite3 shell agree on
-- which leases have expired.

-- name: gc_now
SELECT now FROM gc_now

-- script: gc_temp_create
-- The run's scratch tables: what the walk reached (gc_nodes ids) and what
-- the sweep removes.
CREATE TEMP TABLE IF NOT EXISTS gc_reached (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_doomed (
  digest TEXT PRIMARY KEY NOT NULL,
  size   INTEGER NOT NULL
) WITHOUT ROWID

-- script: gc_temp_clear
DELETE FROM temp.gc_reached;
DELETE FROM temp.gc_doomed

-- name: gc_mark
-- The walk: the recursive view over the numbered graph.
INSERT INTO temp.gc_reached (id) SELECT id FROM gc_reachable_ids WHERE true
ON CONFLICT (id) DO NOTHING

-- name: gc_doomed_mark
-- Unreachable and created before :cutoff (gc_unreachable, with the walk
-- already in a table). A blob without a number is kept.
INSERT INTO temp.gc_doomed (digest, size)
SELECT b.digest, b.size
FROM blobs AS b
WHERE b.created_at < :cutoff AND b.gc_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM temp.gc_reached AS r WHERE r.id = b.gc_id)

-- name: gc_doomed_queue_files
INSERT INTO pending_file_deletions (digest, deleted_at)
SELECT digest, :now FROM temp.gc_doomed WHERE true
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: gc_doomed_delete_rows
DELETE FROM blobs WHERE digest IN (SELECT digest FROM temp.gc_doomed)

-- name: gc_doomed_list
SELECT digest, size FROM temp.gc_doomed ORDER BY digest

-- name: gc_would_remove
-- The dry run: the same set gc_doomed_mark computes.
SELECT digest, size FROM gc_unreachable WHERE created_at < :cutoff ORDER BY digest

-- name: gc_nodes_to_check_any
SELECT 1 AS found FROM gc_nodes_to_check LIMIT 1

-- name: gc_check_node_of
-- A removed blob's file is gone (file_reaper.cc): its node is to be checked.
INSERT INTO gc_nodes_to_check (id)
SELECT id FROM gc_nodes WHERE digest = :digest
ON CONFLICT (id) DO NOTHING

-- script: gc_forget_nodes
-- Once removals pause, and on every explicit flush (file_reaper.cc): noted
-- nodes that no blob has and no link names.
DELETE FROM gc_nodes
WHERE id IN (SELECT id FROM gc_nodes_to_check)
  AND NOT EXISTS (SELECT 1 FROM gc_links AS l WHERE l.child = gc_nodes.id)
  AND NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.digest = gc_nodes.digest);
DELETE FROM gc_nodes_to_check
