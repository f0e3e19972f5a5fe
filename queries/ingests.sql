-- Queries on ingests (uploads in progress) and their ref locks.

-- name: ingest_get
SELECT ref, id, offset, total, expected, algorithm, hash_state, started_at, updated_at,
       lock_pid, lock_token, locked_at
FROM ingests WHERE ref = ?1

-- name: ingest_insert
INSERT INTO ingests (ref, id, offset, total, expected, algorithm, hash_state, started_at,
                     updated_at, lock_pid, lock_token, locked_at)
VALUES (?1, ?2, 0, ?3, ?4, ?5, NULL, ?6, ?6, ?7, ?8, ?6)

-- name: ingest_claim
-- Takes the ref for a writer. The caller holds the ingest directory's flock,
-- so any previous holder recorded here is dead.
UPDATE ingests SET lock_pid = ?2, lock_token = ?3, locked_at = ?4 WHERE ref = ?1

-- name: ingest_set_meta
-- After a resumed writer reconciled the data file (started over, or took a new
-- expected size or digest).
UPDATE ingests
SET offset = ?3, hash_state = ?4, total = ?5, expected = ?6, algorithm = ?7,
    started_at = ?8, updated_at = ?9
WHERE ref = ?1 AND lock_token = ?2

-- name: ingest_checkpoint
UPDATE ingests SET offset = ?3, hash_state = ?4, updated_at = ?5
WHERE ref = ?1 AND lock_token = ?2

-- name: ingest_release
UPDATE ingests
SET offset = ?3, hash_state = ?4, updated_at = ?5, lock_pid = NULL, lock_token = NULL,
    locked_at = NULL
WHERE ref = ?1 AND lock_token = ?2

-- name: ingest_unlock
-- Clears the lock of a holder found dead.
UPDATE ingests SET lock_pid = NULL, lock_token = NULL, locked_at = NULL
WHERE ref = ?1 AND lock_token = ?2

-- name: ingest_delete
DELETE FROM ingests WHERE ref = ?1

-- name: ingest_delete_owned
DELETE FROM ingests WHERE ref = ?1 AND lock_token = ?2

-- name: ingest_list
-- The FILTER comment below marks where the store puts the compiled filter.
SELECT i.ref, i.offset, i.total, i.expected, i.started_at, i.updated_at
FROM ingests AS i
WHERE (/*FILTER*/1)
ORDER BY i.ref

-- name: ingests_locked
-- Ingests some writer claimed and has not released (uses ingests_locked).
SELECT ref, id, lock_token FROM ingests WHERE lock_token IS NOT NULL
