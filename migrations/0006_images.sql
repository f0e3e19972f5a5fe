-- Migration 6: named images (Store::put_image and friends). A name points at
-- a target descriptor (a manifest or an index) and is a GC root; the store
-- root lists every name in ROOT/index.json, an OCI image index, so OCI tools
-- read the store as an image layout.

-- One row per name. The target need not be committed (yet): an importer may
-- name an image before its blobs arrive.
CREATE TABLE images (
  name       TEXT PRIMARY KEY NOT NULL CHECK (length(name) > 0),  -- e.g. 'docker.io/library/alpine:3.19'
  digest     TEXT NOT NULL,                     -- the target's digest, 'sha256:<hex>'
  media_type TEXT NOT NULL CHECK (length(media_type) > 0),  -- the target's media type
  size       INTEGER NOT NULL CHECK (size >= 0),  -- the target's size in bytes
  created_at INTEGER NOT NULL,                  -- ns since epoch UTC
  updated_at INTEGER NOT NULL                   -- creation, then the last retarget or label change
) WITHOUT ROWID;

-- Which names point at a digest (filters on target.digest, outside tools).
CREATE INDEX images_by_digest ON images (digest);

CREATE TABLE image_labels (
  name  TEXT NOT NULL REFERENCES images (name) ON DELETE CASCADE,
  key   TEXT NOT NULL CHECK (length(key) > 0),
  value TEXT NOT NULL CHECK (length(value) > 0),  -- empty values are never stored
  PRIMARY KEY (name, key)
) WITHOUT ROWID;

-- Internal: whether ROOT/index.json is up to date. `generation` counts the
-- changes to images (by trigger, whoever writes); `published` is the
-- generation index.json was last written from. A writable open or fsck
-- rewrites index.json when they differ (a process died between its commit
-- and the rewrite).
CREATE TABLE image_index (
  id         INTEGER PRIMARY KEY CHECK (id = 1),  -- one row
  generation INTEGER NOT NULL,
  published  INTEGER NOT NULL
);
-- Generation 1, published 0: the first writable open writes index.json.
INSERT INTO image_index (id, generation, published) VALUES (1, 1, 0);

CREATE TRIGGER image_index_inserted AFTER INSERT ON images
BEGIN
  UPDATE image_index SET generation = generation + 1;
END;

CREATE TRIGGER image_index_updated AFTER UPDATE OF name, digest, media_type, size ON images
BEGIN
  UPDATE image_index SET generation = generation + 1;
END;

CREATE TRIGGER image_index_deleted AFTER DELETE ON images
BEGIN
  UPDATE image_index SET generation = generation + 1;
END;

-- Names are roots: gc_roots gains them (and so do the views built on it).
DROP VIEW gc_unreachable;
DROP VIEW gc_reachable;
DROP VIEW gc_reachable_ids;
DROP VIEW gc_roots;

-- What the collector keeps whatever else happens, and why: blobs labelled
-- containerd.io/gc.root (any value), blobs held by a lease that has not
-- expired, the expected digest of every ingest, and the target of every
-- image name. (Blobs younger than the grace period are kept too; that cutoff
-- is a parameter of each run, so it is not in this view.)
CREATE VIEW gc_roots (digest, reason) AS
SELECT digest, 'label containerd.io/gc.root'
FROM blob_labels
WHERE key = 'containerd.io/gc.root'
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

-- The gc_nodes numbers of everything reachable from a root, cycles included.
CREATE VIEW gc_reachable_ids (id) AS
WITH RECURSIVE reach (id) AS (
  SELECT n.id FROM gc_roots AS r JOIN gc_nodes AS n ON n.digest = r.digest
  UNION
  SELECT l.child FROM reach JOIN gc_links AS l ON l.parent = reach.id
)
SELECT id FROM reach;

-- The digests reachable from a root: committed blobs, and digests a
-- reference names that are not committed (yet).
CREATE VIEW gc_reachable (digest) AS
SELECT n.digest FROM gc_reachable_ids AS r JOIN gc_nodes AS n ON n.id = r.id;

-- Committed blobs nothing reaches: what a collection removes once they are
-- older than the grace period.
CREATE VIEW gc_unreachable (digest, size, created_at) AS
SELECT digest, size, created_at
FROM blobs
WHERE gc_id IS NOT NULL AND gc_id NOT IN (SELECT id FROM gc_reachable_ids);

-- A name created or pointed elsewhere while a collection runs revives its
-- target (see migration 5).
CREATE TRIGGER gc_revive_named AFTER INSERT ON images
WHEN EXISTS (SELECT 1 FROM gc_runs)
BEGIN
  INSERT INTO gc_revivals (node) SELECT id FROM gc_nodes WHERE digest = NEW.digest;
END;

CREATE TRIGGER gc_revive_retargeted AFTER UPDATE OF digest ON images
WHEN EXISTS (SELECT 1 FROM gc_runs)
BEGIN
  INSERT INTO gc_revivals (node) SELECT id FROM gc_nodes WHERE digest = NEW.digest;
END;

-- Times as RFC 3339 text, for people at the sqlite3 prompt.
CREATE VIEW images_readable AS
SELECT
  i.name,
  i.media_type,
  i.digest,
  i.size,
  strftime('%Y-%m-%dT%H:%M:%S', i.created_at / 1000000000, 'unixepoch')
    || printf('.%09dZ', i.created_at % 1000000000) AS created,
  strftime('%Y-%m-%dT%H:%M:%S', i.updated_at / 1000000000, 'unixepoch')
    || printf('.%09dZ', i.updated_at % 1000000000) AS updated,
  (SELECT group_concat(l.key || '=' || l.value, ',')
     FROM (SELECT key, value FROM image_labels WHERE name = i.name ORDER BY key) AS l) AS labels
FROM images AS i;
