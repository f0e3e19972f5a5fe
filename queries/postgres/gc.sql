-- The garbage collector's statements (catalog/gc_rows.cc), PostgreSQL.
-- Reachability is the schema's view gc_reachable_ids and "now" the view
-- gc_now, as in SQLite. The run's scratch tables are this connection's
-- temporary tables, created by migrations/postgres/session.sql when the
-- connection opens (a read-only transaction, where the collector marks,
-- may write temporary tables but not create them).

-- name: gc_now
SELECT now FROM gc_now

-- script: gc_scratch_clear
DELETE FROM pg_temp.gc_reached;
DELETE FROM pg_temp.gc_candidates;
DELETE FROM pg_temp.gc_revived;
DELETE FROM pg_temp.gc_batch

-- name: gc_run_start
INSERT INTO gc_runs (pid, started_at) VALUES (:pid, :now)

-- script: gc_run_end
-- The caller holds the collector lock: no other run needs the log.
DELETE FROM gc_runs;
DELETE FROM gc_revivals

-- name: gc_revivals_last
SELECT coalesce(max(seq), 0) AS last FROM gc_revivals

-- name: gc_mark
-- The walk, on the run's read snapshot.
INSERT INTO pg_temp.gc_reached (id) SELECT id FROM gc_reachable_ids
ON CONFLICT (id) DO NOTHING

-- name: gc_select_candidates
-- Unreachable at the snapshot and created before :cutoff. A blob without a
-- number is kept.
INSERT INTO pg_temp.gc_candidates (id, digest, size)
SELECT b.gc_id, b.digest, b.size
FROM blobs AS b
WHERE b.created_at < :cutoff AND b.gc_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_temp.gc_reached AS r WHERE r.id = b.gc_id)

-- name: gc_candidate_count
SELECT count(*) AS n FROM pg_temp.gc_candidates

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

-- name: gc_batch_low
-- The lowest id of the next batch: the :limit candidates below :below, taken
-- from the highest id down.
SELECT min(id) AS low
FROM (SELECT id FROM pg_temp.gc_candidates WHERE id < :below ORDER BY id DESC LIMIT :limit) AS c

-- name: gc_batch_select
-- Candidates in [:low, :below) still to go: the same blob and not revived.
INSERT INTO pg_temp.gc_batch (digest, size)
SELECT c.digest, c.size
FROM pg_temp.gc_candidates AS c JOIN blobs AS b ON b.digest = c.digest
WHERE c.id >= :low AND c.id < :below
  AND b.gc_id = c.id AND b.created_at < :cutoff
  AND NOT EXISTS (SELECT 1 FROM pg_temp.gc_revived AS r WHERE r.id = c.id)

-- name: gc_batch_queue_files
INSERT INTO pending_file_deletions (digest, deleted_at)
SELECT digest, CAST(:now AS bigint) FROM pg_temp.gc_batch
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: gc_batch_delete_rows
DELETE FROM blobs WHERE digest IN (SELECT digest FROM pg_temp.gc_batch)

-- name: gc_batch_list
SELECT digest, size FROM pg_temp.gc_batch ORDER BY digest

-- name: gc_batch_clear
DELETE FROM pg_temp.gc_batch

-- name: gc_would_remove
-- The dry run: what gc_select_candidates chooses, without scratch tables.
SELECT digest, size FROM gc_unreachable WHERE created_at < :cutoff ORDER BY digest

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
