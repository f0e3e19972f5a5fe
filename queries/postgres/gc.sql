-- The garbage collector's statements (catalog/gc_rows.cc), PostgreSQL.
-- The mark walks in memory (store/gc_mark.cc) what the schema's view
-- gc_reachable_ids walks in SQL, and "now" is the view gc_now, as in SQLite.
-- The run's scratch tables are this connection's temporary tables, created
-- by migrations/postgres/session.sql when the connection opens (a read-only
-- transaction, where the collector marks, may write temporary tables but not
-- create them).

-- name: gc_now
SELECT now FROM gc_now

-- script: gc_scratch_clear
DELETE FROM pg_temp.gc_revived;
DELETE FROM pg_temp.gc_sweep_batch

-- name: gc_run_start
INSERT INTO gc_runs (pid, started_at) VALUES (:pid, :now)

-- script: gc_run_end
-- The caller holds the collector lock: no other run needs the log.
DELETE FROM gc_runs;
DELETE FROM gc_revivals

-- name: gc_revivals_last
SELECT coalesce(max(seq), 0) AS last FROM gc_revivals

-- name: gc_root_ids
-- The mark's start, on the run's read snapshot: the numbers of the roots.
SELECT DISTINCT n.id FROM gc_roots AS r JOIN gc_nodes AS n ON n.digest = r.digest

-- name: gc_links_all
SELECT parent, child FROM gc_links ORDER BY parent, child

-- name: gc_numbered_before
-- The blobs the mark judges, in digest order. A blob without a number is kept.
SELECT gc_id, digest, size FROM blobs
WHERE created_at < :cutoff AND gc_id IS NOT NULL
ORDER BY digest

-- name: gc_revive
-- Everything the changes logged after :after reach, as of now.
INSERT INTO pg_temp.gc_revived (id)
WITH RECURSIVE reach (id) AS (
  SELECT node FROM gc_revivals WHERE seq > :after
  UNION
  SELECT l.child FROM reach JOIN gc_links AS l ON l.parent = reach.id
)
SELECT id FROM reach
ON CONFLICT (id) DO NOTHING

-- name: gc_batch_add
INSERT INTO pg_temp.gc_sweep_batch (digest, id, size) VALUES (:digest, :id, :size)

-- name: gc_batch_spare
-- Out of the batch: no longer the same blob, or revived.
DELETE FROM pg_temp.gc_sweep_batch AS c
WHERE NOT EXISTS (SELECT 1 FROM blobs AS b
                  WHERE b.digest = c.digest AND b.gc_id = c.id AND b.created_at < :cutoff)
   OR c.id IN (SELECT id FROM pg_temp.gc_revived)

-- name: gc_batch_queue_files
INSERT INTO pending_file_deletions (digest, deleted_at)
SELECT digest, CAST(:now AS bigint) FROM pg_temp.gc_sweep_batch
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: gc_batch_delete_rows
DELETE FROM blobs WHERE digest IN (SELECT digest FROM pg_temp.gc_sweep_batch)

-- name: gc_batch_list
SELECT digest, size FROM pg_temp.gc_sweep_batch ORDER BY digest

-- name: gc_batch_clear
DELETE FROM pg_temp.gc_sweep_batch

-- name: gc_nodes_to_check_any
SELECT 1 AS found FROM gc_nodes_to_check LIMIT 1

-- name: gc_check_node_of
-- A removed blob's file is gone (file_reaper.cc): its node is to be checked.
INSERT INTO gc_nodes_to_check (id)
SELECT id FROM gc_nodes WHERE digest = :digest
ON CONFLICT (id) DO NOTHING

-- script: gc_forget_nodes
-- Noted nodes that no blob has and no link names.
DELETE FROM gc_nodes
WHERE id IN (SELECT id FROM gc_nodes_to_check)
  AND NOT EXISTS (SELECT 1 FROM gc_links AS l WHERE l.child = gc_nodes.id)
  AND NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.digest = gc_nodes.digest);
DELETE FROM gc_nodes_to_check

-- name: gc_runs_any
SELECT 1 AS found FROM gc_runs LIMIT 1
