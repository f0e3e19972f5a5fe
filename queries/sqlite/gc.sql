-- The garbage collector's statements (catalog/gc_rows.cc). Reachability
-- itself is the schema's view gc_reachable_ids, shared with outside tools,
-- and "now" is the view gc_now, so a collection and the sqlite3 shell agree
-- on which leases have expired. The protocol is in store/gc.cc.

-- name: gc_now
SELECT now FROM gc_now

-- script: gc_scratch_clear
-- The run's scratch tables (this connection's own): what the walk reached,
-- the candidates, what was revived since, and the current batch.
CREATE TEMP TABLE IF NOT EXISTS gc_reached (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_candidates (
  id     INTEGER PRIMARY KEY,   -- gc_nodes.id = blobs.gc_id
  digest TEXT NOT NULL,
  size   INTEGER NOT NULL
);
CREATE TEMP TABLE IF NOT EXISTS gc_revived (id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_batch (
  digest TEXT PRIMARY KEY NOT NULL,
  size   INTEGER NOT NULL
) WITHOUT ROWID;
DELETE FROM temp.gc_reached;
DELETE FROM temp.gc_candidates;
DELETE FROM temp.gc_revived;
DELETE FROM temp.gc_batch

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
INSERT INTO temp.gc_reached (id) SELECT id FROM gc_reachable_ids WHERE true
ON CONFLICT (id) DO NOTHING

-- name: gc_select_candidates
-- Unreachable at the snapshot and created before :cutoff (gc_unreachable,
-- with the walk in a table). A blob without a number is kept.
INSERT INTO temp.gc_candidates (id, digest, size)
SELECT b.gc_id, b.digest, b.size
FROM blobs AS b
WHERE b.created_at < :cutoff AND b.gc_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM temp.gc_reached AS r WHERE r.id = b.gc_id)

-- name: gc_candidate_count
SELECT count(*) AS n FROM temp.gc_candidates

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

-- name: gc_batch_low
-- The lowest id of the next batch: the :limit candidates below :below, taken
-- from the highest id down (parents, committed after their children, tend
-- to go first).
SELECT min(id) AS low
FROM (SELECT id FROM temp.gc_candidates WHERE id < :below ORDER BY id DESC LIMIT :limit)

-- name: gc_batch_select
-- Candidates in [:low, :below) still to go: the same blob (its number, and a
-- commit time before the cutoff, so not committed again meanwhile) and not
-- revived.
INSERT INTO temp.gc_batch (digest, size)
SELECT c.digest, c.size
FROM temp.gc_candidates AS c JOIN blobs AS b ON b.digest = c.digest
WHERE c.id >= :low AND c.id < :below
  AND b.gc_id = c.id AND b.created_at < :cutoff
  AND NOT EXISTS (SELECT 1 FROM temp.gc_revived AS r WHERE r.id = c.id)

-- name: gc_batch_queue_files
INSERT INTO pending_file_deletions (digest, deleted_at)
SELECT digest, :now FROM temp.gc_batch WHERE true
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: gc_batch_delete_rows
DELETE FROM blobs WHERE digest IN (SELECT digest FROM temp.gc_batch)

-- name: gc_batch_list
SELECT digest, size FROM temp.gc_batch ORDER BY digest

-- name: gc_batch_clear
DELETE FROM temp.gc_batch

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
-- Once removals pause, and on every explicit flush (file_reaper.cc): noted
-- nodes that no blob has and no link names.
DELETE FROM gc_nodes
WHERE id IN (SELECT id FROM gc_nodes_to_check)
  AND NOT EXISTS (SELECT 1 FROM gc_links AS l WHERE l.child = gc_nodes.id)
  AND NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.digest = gc_nodes.digest);
DELETE FROM gc_nodes_to_check

-- name: gc_runs_any
SELECT 1 AS found FROM gc_runs LIMIT 1
