-- fsck's queries.

-- name: fsck_integrity
PRAGMA integrity_check

-- name: fsck_total_size
SELECT coalesce(sum(size), 0) FROM blobs

-- name: fsck_blob_page
SELECT digest, size FROM blobs WHERE digest > ?1 ORDER BY digest LIMIT 1000

-- name: fsck_ingests
SELECT ref, id, offset FROM ingests ORDER BY ref

-- name: fsck_reference_labels
-- Labels with a reference key (the key half of the view gc_edges); fsck
-- reports those whose value is not a digest.
SELECT digest, key, value
FROM blob_labels
WHERE key >= 'containerd.io/gc.ref.content' AND key < 'containerd.io/gc.ref.content0'
  AND (length(key) = 28 OR substr(key, 29, 1) IN ('.', '/'))
ORDER BY digest, key
