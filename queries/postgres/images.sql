-- Queries on image names and their labels (catalog/image_rows.cc), and the
-- state of ROOT/index.json (table image_index, bumped by trigger),
-- PostgreSQL.

-- name: image_upsert
-- Creates the name or points it at a new target; created_at stays.
INSERT INTO images (name, digest, media_type, size, created_at, updated_at)
VALUES (:name, :digest, :media_type, :size, :now, :now)
ON CONFLICT (name) DO UPDATE SET
  digest = excluded.digest, media_type = excluded.media_type, size = excluded.size,
  updated_at = excluded.updated_at

-- name: image_labels_clear
DELETE FROM image_labels WHERE name = :name

-- name: image_label_insert
INSERT INTO image_labels (name, key, value) VALUES (:name, :key, :value)

-- name: image_get
SELECT i.name AS name, i.digest AS digest, i.media_type AS media_type, i.size AS size,
       i.created_at AS created_at, i.updated_at AS updated_at, il.key AS key, il.value AS value
FROM images AS i LEFT JOIN image_labels AS il ON il.name = i.name
WHERE i.name = :name
ORDER BY il.key

-- name: image_list
-- The FILTER comment below is where the compiled filter goes, over the
-- images row aliased i (catalog/filtered_query.h).
SELECT i.name AS name, i.digest AS digest, i.media_type AS media_type, i.size AS size,
       i.created_at AS created_at, i.updated_at AS updated_at, il.key AS key, il.value AS value
FROM images AS i LEFT JOIN image_labels AS il ON il.name = i.name
WHERE (/*FILTER i*/TRUE)
ORDER BY i.name, il.key

-- name: image_delete
-- Its labels go with it (ON DELETE CASCADE).
DELETE FROM images WHERE name = :name

-- name: image_index_targets
-- What ROOT/index.json lists: every name's target, by name.
SELECT name, digest, media_type, size FROM images ORDER BY name

-- name: image_index_state
SELECT generation, published FROM image_index WHERE id = 1

-- name: image_index_published
-- index.json now shows :generation; the newest generation written wins.
UPDATE image_index SET published = greatest(published, :generation) WHERE id = 1
