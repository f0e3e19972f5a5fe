-- Queries on ingests (uploads in progress) and their ref locks
-- (catalog/ingest_rows.cc).

-- name: ingest_get
SELECT ref, id, offset, total, expected, algorithm, hash_state, started_at, updated_at,
       lock_pid, lock_token, locked_at, upload_id, uploaded, uploaded_hash_state, staged_on
FROM ingests WHERE ref = :ref

-- name: ingest_insert
INSERT INTO ingests (ref, id, offset, total, expected, algorithm, hash_state, started_at,
                     updated_at, lock_pid, lock_token, locked_at, staged_on)
VALUES (:ref, :id, 0, :total, :expected, :algorithm, NULL, :now, :now, :lock_pid,
        :lock_token, :now, :staged_on)

-- name: ingest_claim
-- Takes the ref for a writer. The caller holds the ingest directory's flock,
-- so any previous holder recorded here is dead.
UPDATE ingests SET lock_pid = :lock_pid, lock_token = :lock_token, locked_at = :locked_at
WHERE ref = :ref

-- name: ingest_set_meta
-- After a resumed writer reconciled the data file (started over, or took a new
-- expected size or digest).
UPDATE ingests
SET offset = :offset, hash_state = :hash_state, total = :total, expected = :expected,
    algorithm = :algorithm, started_at = :started_at, updated_at = :updated_at,
    staged_on = :staged_on
WHERE ref = :ref AND lock_token = :lock_token

-- name: ingest_checkpoint
UPDATE ingests SET offset = :offset, hash_state = :hash_state, updated_at = :updated_at
WHERE ref = :ref AND lock_token = :lock_token

-- name: ingest_release
UPDATE ingests
SET offset = :offset, hash_state = :hash_state, updated_at = :updated_at, lock_pid = NULL,
    lock_token = NULL, locked_at = NULL
WHERE ref = :ref AND lock_token = :lock_token

-- name: ingest_unlock
-- Clears the lock of a holder found dead.
UPDATE ingests SET lock_pid = NULL, lock_token = NULL, locked_at = NULL
WHERE ref = :ref AND lock_token = :lock_token

-- name: ingest_delete
DELETE FROM ingests WHERE ref = :ref

-- name: ingest_delete_owned
DELETE FROM ingests WHERE ref = :ref AND lock_token = :lock_token

-- name: ingest_list
-- The FILTER comment below is where the compiled filter goes, over the
-- ingests row aliased i (catalog/filtered_query.h).
SELECT i.ref AS ref, i.offset AS offset, i.total AS total, i.expected AS expected,
       i.started_at AS started_at, i.updated_at AS updated_at
FROM ingests AS i
WHERE (/*FILTER i*/1)
ORDER BY i.ref

-- name: ingests_locked
-- Ingests some writer claimed and has not released (index ingests_locked).
SELECT ref, id, lock_token FROM ingests WHERE lock_token IS NOT NULL

-- name: ingest_id_exists
SELECT 1 AS found FROM ingests WHERE id = :id

-- name: ingests_all
SELECT ref, id, offset, upload_id, staged_on FROM ingests ORDER BY ref

-- name: ingests_stale
-- Ingests not written since :cutoff that no lease unexpired at :now holds.
-- Whether a live writer holds them is for the flock to say.
SELECT i.ref AS ref, i.id AS id, i.upload_id AS upload_id
FROM ingests AS i
WHERE i.updated_at < :cutoff
  AND NOT EXISTS (SELECT 1
                  FROM lease_resources AS r JOIN leases AS l ON l.id = r.lease_id
                  WHERE r.type = 'ingest' AND r.id = i.ref
                    AND (l.expires_at IS NULL OR l.expires_at > :now))
ORDER BY i.ref

-- name: ingest_set_upload
-- The ingest's upload was started (before its first part goes, so that an
-- upload the catalog does not name is a crash's leftover).
UPDATE ingests SET upload_id = :upload_id WHERE ref = :ref AND lock_token = :lock_token

-- name: ingest_set_uploaded
-- A part is in: the parts now hold :uploaded bytes, hashing to :hash_state.
UPDATE ingests SET uploaded = :uploaded, uploaded_hash_state = :hash_state
WHERE ref = :ref AND lock_token = :lock_token

-- name: ingest_part_put
INSERT INTO ingest_parts (ref, number, size, etag) VALUES (:ref, :number, :size, :etag)
ON CONFLICT (ref, number) DO UPDATE SET size = excluded.size, etag = excluded.etag

-- name: ingest_parts
SELECT number, size, etag FROM ingest_parts WHERE ref = :ref ORDER BY number

-- name: ingest_forget_upload
-- The ingest starts over: its upload is no longer its.
UPDATE ingests SET upload_id = NULL, uploaded = 0, uploaded_hash_state = NULL
WHERE ref = :ref AND lock_token = :lock_token

-- name: ingest_parts_delete
DELETE FROM ingest_parts WHERE ref = :ref

-- name: ingest_upload_ids
-- Every upload the catalog names (the sweep of leftover uploads).
SELECT ref, id, upload_id FROM ingests WHERE upload_id IS NOT NULL
