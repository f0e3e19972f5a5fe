-- Queries on committed blobs. Each block is one statement, compiled into the
-- library as contentstore::sql::q::<name> (see cmake/embed_sql.cmake).
-- Parameters are numbered (?1, ?2, ...) so a block reads on its own.

-- name: blob_info
-- One row per label (a single row with NULL key when there are none).
SELECT b.size, b.created_at, b.updated_at, l.key, l.value
FROM blobs AS b LEFT JOIN blob_labels AS l ON l.digest = b.digest
WHERE b.digest = ?1
ORDER BY l.key

-- name: blob_size
SELECT size FROM blobs WHERE digest = ?1

-- name: blob_insert
-- Changes nothing (0 rows changed) when the digest is already committed.
INSERT INTO blobs (digest, size, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
ON CONFLICT (digest) DO NOTHING

-- name: blob_touch
UPDATE blobs SET updated_at = ?2 WHERE digest = ?1

-- name: blob_delete
-- Labels go with the row (ON DELETE CASCADE).
DELETE FROM blobs WHERE digest = ?1

-- name: label_set
INSERT INTO blob_labels (digest, key, value) VALUES (?1, ?2, ?3)
ON CONFLICT (digest, key) DO UPDATE SET value = excluded.value

-- name: label_delete
DELETE FROM blob_labels WHERE digest = ?1 AND key = ?2

-- name: labels_delete_all
DELETE FROM blob_labels WHERE digest = ?1

-- name: walk_page
-- Keyset pagination: the next ?2 blobs after digest ?1 that pass the filter,
-- with their labels. The FILTER comment below marks where the store puts the
-- compiled filter (see store_impl.cc).
SELECT p.digest, p.size, p.created_at, p.updated_at, l.key, l.value
FROM (SELECT b.digest, b.size, b.created_at, b.updated_at
      FROM blobs AS b
      WHERE b.digest > ?1 AND (/*FILTER*/1)
      ORDER BY b.digest
      LIMIT ?2) AS p
LEFT JOIN blob_labels AS l ON l.digest = p.digest
ORDER BY p.digest, l.key

-- name: pending_deletion_add
INSERT INTO pending_file_deletions (digest, deleted_at) VALUES (?1, ?2)
ON CONFLICT (digest) DO UPDATE SET deleted_at = excluded.deleted_at

-- name: pending_deletion_list
SELECT digest FROM pending_file_deletions ORDER BY digest

-- name: pending_deletion_remove
DELETE FROM pending_file_deletions WHERE digest = ?1
