-- Queries on committed blobs and their labels (catalog/blob_rows.cc), in
-- PostgreSQL's dialect: the same names, parameters and result columns as
-- queries/sqlite/blobs.sql (the build refuses a name missing from either).
--
-- Differences from SQLite's text, here and in the other files: a filter
-- mark ends in TRUE (WHERE takes only booleans), casts are CAST(x AS t)
-- (never x::t: "::name" would read as a parameter), a parameter whose type
-- PostgreSQL cannot infer is cast, sums are cast back to bigint (sum(bigint)
-- is numeric), and text keys compare bytewise (the columns are COLLATE "C",
-- so ORDER BY and keyset pages agree with SQLite's).

-- name: blob_info
-- One row per label (a single row with NULL key when there are none).
SELECT b.size AS size, b.created_at AS created_at, b.updated_at AS updated_at,
       l.key AS key, l.value AS value
FROM blobs AS b LEFT JOIN blob_labels AS l ON l.digest = b.digest
WHERE b.digest = :digest
ORDER BY l.key

-- name: blob_size
SELECT size FROM blobs WHERE digest = :digest

-- name: blob_insert
-- Changes nothing (0 rows changed) when the digest is already committed.
INSERT INTO blobs (digest, size, created_at, updated_at)
VALUES (:digest, :size, :created_at, :created_at)
ON CONFLICT (digest) DO NOTHING

-- name: blob_touch
UPDATE blobs SET updated_at = :updated_at WHERE digest = :digest

-- name: blob_delete
-- Labels go with the row (ON DELETE CASCADE).
DELETE FROM blobs WHERE digest = :digest

-- name: label_set
INSERT INTO blob_labels (digest, key, value) VALUES (:digest, :key, :value)
ON CONFLICT (digest, key) DO UPDATE SET value = excluded.value

-- name: label_delete
DELETE FROM blob_labels WHERE digest = :digest AND key = :key

-- name: labels_delete_all
DELETE FROM blob_labels WHERE digest = :digest

-- name: walk_page
-- Keyset pagination: the next :limit blobs after digest :after that pass the
-- filter, with their labels (see queries/sqlite/blobs.sql).
SELECT p.digest AS digest, p.size AS size, p.created_at AS created_at,
       p.updated_at AS updated_at, l.key AS key, l.value AS value
FROM (SELECT b.digest, b.size, b.created_at, b.updated_at
      FROM blobs AS b
      WHERE b.digest > :after AND (/*FILTER b*/TRUE)
      ORDER BY b.digest
      LIMIT :limit) AS p
LEFT JOIN blob_labels AS l ON l.digest = p.digest
ORDER BY p.digest, l.key

-- name: blob_sizes_after
-- fsck's pages: digests and sizes after :after.
SELECT digest, size FROM blobs WHERE digest > :after ORDER BY digest LIMIT :limit

-- name: blob_total_size
SELECT CAST(coalesce(sum(size), 0) AS bigint) AS total FROM blobs

-- name: deletion_queue_add
INSERT INTO pending_file_deletions (digest, deleted_at) VALUES (:digest, :deleted_at)
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: deletion_queue_list
SELECT digest FROM pending_file_deletions ORDER BY digest

-- name: deletion_queue_remove
DELETE FROM pending_file_deletions WHERE digest = :digest

-- name: deletion_queue_count
SELECT count(*) AS n FROM pending_file_deletions
