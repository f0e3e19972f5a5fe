-- The garbage collector's statements (catalog/gc_rows.cc). Reachability
-- itself is the schema's view gc_reachable_ids, shared with outside tools,
-- and "now" is the view gc_now, so a collection and the sqlite3 shell agree
-- on which leases have expired. The protocol is in store/gc.cc.

-- name: gc_now
SELECT now FROM gc_now

-- script: gc_scratch_clear
-- The run's scratch tables (this connection's own): what was revived since
-- the run registered, and the current batch.
CREATE TEMP TABLE IF NOT EXISTS gc_revived (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_sweep_batch (
  digest TEXT PRIMARY KEY NOT NULL,
  id     INTEGER NOT NULL,   -- gc_nodes.id = blobs.gc_id at the mark
  size   INTEGER NOT NULL
) WITHOUT ROWID;
DELETE FROM temp.gc_revived;
DELETE FROM temp.gc_sweep_batch

-- name: gc_run_start
INSERT INTO gc_runs (pid, started_at) VALUES (:pid, :now)

-- script: gc_run_end
-- The caller holds the collector lock: no other run needs the log.
DELETE FROM gc_runs;
DELETE FROM gc_revivals

-- name: gc_revivals_last
SELECT coalesce(max(seq), 0) AS last FROM gc_revivals

-- name: gc_root_ids
-- The mark's start, on the run's read snapshot: the numbers of the roots
-- (the walk itself is store/gc_mark.cc; gc_reachable_ids is the same walk
-- in SQL, for outside tools).
SELECT DISTINCT n.id FROM gc_roots AS r JOIN gc_nodes AS n ON n.digest = r.digest

-- name: gc_links_all
-- Every reference, on the same snapshot, in the primary key's order.
SELECT parent, child FROM gc_links ORDER BY parent, child

-- name: gc_numbered_before
-- The blobs the mark judges, on the same snapshot, in digest order (the
-- table's order: a sweep batch of neighbours touches neighbouring pages).
-- A blob without a number is kept.
SELECT gc_id, digest, size FROM blobs
WHERE created_at < :cutoff AND gc_id IS NOT NULL
ORDER BY digest

-- name: gc_revive
-- Everything the changes logged after :after reach, as of now.
INSERT INTO temp.gc_revived (id)
WITH RECURSIVE reach (id) AS (
  SELECT node FROM gc_revivals WHERE seq > :after
  UNION
  SELECT l.child FROM reach JOIN gc_links AS l ON l.parent = reach.id
)
SELECT id FROM reach WHERE true
ON CONFLICT (id) DO NOTHING

-- name: gc_batch_add
INSERT INTO temp.gc_sweep_batch (digest, id, size) VALUES (:digest, :id, :size)

-- name: gc_batch_spare
-- Out of the batch go the candidates no longer to remove: not the same blob
-- any more (another number, or committed again after the cutoff), or revived.
DELETE FROM temp.gc_sweep_batch
WHERE NOT EXISTS (SELECT 1 FROM blobs AS b
                  WHERE b.digest = gc_sweep_batch.digest AND b.gc_id = gc_sweep_batch.id
                    AND b.created_at < :cutoff)
   OR id IN (SELECT id FROM temp.gc_revived)

-- name: gc_batch_queue_files
INSERT INTO pending_file_deletions (digest, deleted_at)
SELECT digest, :now FROM temp.gc_sweep_batch WHERE true
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: gc_batch_delete_rows
DELETE FROM blobs WHERE digest IN (SELECT digest FROM temp.gc_sweep_batch)

-- name: gc_batch_list
SELECT digest, size FROM temp.gc_sweep_batch ORDER BY digest

-- name: gc_batch_clear
DELETE FROM temp.gc_sweep_batch

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

-- name: gc_runs_any
SELECT 1 AS found FROM gc_runs LIMIT 1
