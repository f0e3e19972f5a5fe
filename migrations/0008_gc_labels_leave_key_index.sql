-- Migration 8: reference labels (containerd.io/gc.ref.content...) leave the
-- (key, value) index.
--
-- Why: those labels are most of a store's labels (one per layer, config and
-- manifest of every image), and nothing looks them up by value: the
-- collector follows them through gc_links, and "who refers to this digest"
-- is gc_links_by_child. In the index they cost every commit and every
-- removal an entry at a random place (the value is a digest), which is most
-- of what a collection that removes many blobs writes. A label filter on a
-- reference key still works; it reads blob_labels instead of the index.
--
-- A query that should use the index says `NOT gc_reference` beside its
-- `key = ...` (as the library's label filters and gc_roots do): SQLite uses
-- a partial index only when the query's WHERE names the index's condition.

DROP INDEX blob_labels_by_key_value;
CREATE INDEX blob_labels_by_key_value ON blob_labels (key, value) WHERE NOT gc_reference;

-- gc_roots names the index's condition, so it finds its labels through the
-- index again. (The views built on it name it at run time: SQLite lets it be
-- replaced under them.)
DROP VIEW gc_roots;

-- What the collector keeps whatever else happens, and why: blobs labelled
-- containerd.io/gc.root (any value), blobs held by a lease that has not
-- expired, the expected digest of every ingest, and the target of every
-- image name. (Blobs younger than the grace period are kept too; that cutoff
-- is a parameter of each run, so it is not in this view.)
CREATE VIEW gc_roots (digest, reason) AS
SELECT digest, 'label containerd.io/gc.root'
FROM blob_labels
WHERE key = 'containerd.io/gc.root' AND NOT gc_reference
UNION ALL
SELECT r.id, 'lease ' || r.lease_id
FROM lease_resources AS r JOIN leases AS l ON l.id = r.lease_id
WHERE r.type = 'content'
  AND (l.expires_at IS NULL OR l.expires_at > (SELECT now FROM gc_now))
UNION ALL
SELECT expected, 'ingest ' || ref
FROM ingests
WHERE expected IS NOT NULL
UNION ALL
SELECT digest, 'image ' || name
FROM images;
