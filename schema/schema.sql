-- contentstore catalog: the current schema (version 8), for people.
--
-- A catalog is created by running migrations/NNNN_*.sql in order (the one
-- source); this file describes the result and a test checks that they agree
-- (tests/catalog/sqlite_catalog_test.cc compares the structure of both).
-- PRAGMA user_version holds the schema version.
--
-- Public tables and views (a documented interface, see README.md): blobs,
-- blob_labels, ingests, ingest_parts, store_settings, leases, lease_labels, lease_resources, images,
-- image_labels, and the views blobs_readable, ingests_readable,
-- images_readable, gc_now, gc_edges, gc_roots, gc_reachable, gc_unreachable. gc_nodes, gc_links and blobs.gc_id are the reference graph
-- with numbers, kept by triggers (read them, never write them). Times are
-- integer nanoseconds since the Unix epoch, UTC. Columns marked "internal"
-- may change meaning between versions; do not rely on them from outside the
-- library.

CREATE TABLE blobs (
  digest     TEXT PRIMARY KEY NOT NULL,            -- 'sha256:<hex>', file at blobs/<alg>/<hex>
  size       INTEGER NOT NULL CHECK (size >= 0),   -- bytes
  created_at INTEGER NOT NULL,                     -- commit time, ns since epoch UTC
  updated_at INTEGER NOT NULL,                     -- commit time, then last label change
  gc_id      INTEGER                               -- the digest's number in gc_nodes (by trigger)
) WITHOUT ROWID;

CREATE TABLE blob_labels (
  digest TEXT NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  key    TEXT NOT NULL CHECK (length(key) > 0),
  value  TEXT NOT NULL CHECK (length(value) > 0),  -- empty values are never stored
  -- 1 when `key` is containerd.io/gc.ref.content, or starts with
  -- containerd.io/gc.ref.content. or containerd.io/gc.ref.content/ (the key
  -- is 28 bytes long, and its 29th byte is the separator).
  gc_reference INTEGER GENERATED ALWAYS AS (
    key >= 'containerd.io/gc.ref.content' AND key < 'containerd.io/gc.ref.content0'
    AND (length(key) = 28 OR substr(key, 29, 1) IN ('.', '/'))) VIRTUAL,
  PRIMARY KEY (digest, key)
) WITHOUT ROWID;

-- Serves label filters and gc_roots: by key (presence), by key and value
-- (equality). Reference labels are left out (migration 8 says why): a query
-- that should use the index says NOT gc_reference beside its key.
CREATE INDEX blob_labels_by_key_value ON blob_labels (key, value) WHERE NOT gc_reference;

CREATE TABLE ingests (
  ref        TEXT PRIMARY KEY NOT NULL,         -- the writer's ref
  id         TEXT NOT NULL UNIQUE,              -- directory ingest/<id>/, sha256 of ref in hex
  offset     INTEGER NOT NULL DEFAULT 0 CHECK (offset >= 0),  -- bytes written, as of the last checkpoint
  total      INTEGER CHECK (total >= 0),        -- expected size, NULL when unknown
  expected   TEXT,                              -- expected digest, NULL when unknown
  algorithm  TEXT NOT NULL,                     -- hash algorithm of the data: sha256, sha384, sha512
  hash_state BLOB,                              -- internal: saved hash state covering offset bytes
  started_at INTEGER NOT NULL,                  -- ns since epoch UTC
  updated_at INTEGER NOT NULL,                  -- last write, as of the last checkpoint
  lock_pid   INTEGER,                           -- process id of the writer holding the ref, NULL when free
  lock_token TEXT,                              -- internal: identifies that writer
  locked_at  INTEGER,                           -- when that writer took the ref
  -- Ingests whose bytes go to an object store while they are written
  -- (--blobs s3://) are multipart uploads; a local store leaves these unset.
  upload_id  TEXT,                              -- the upload's id, NULL while every byte is local
  uploaded   INTEGER NOT NULL DEFAULT 0 CHECK (uploaded >= 0),  -- bytes the recorded parts hold (<= offset)
  uploaded_hash_state BLOB,                     -- internal: saved hash state covering uploaded bytes
  staged_on  TEXT                               -- node id (ROOT/node-id) whose ingest directory holds the
                                                -- bytes past uploaded, when the catalog is shared; else NULL
) WITHOUT ROWID;

-- Finds writers that may have died holding a ref (open-time recovery).
CREATE INDEX ingests_locked ON ingests (locked_at) WHERE lock_token IS NOT NULL;

-- The parts of an ingest's upload, in order: part `number` holds `size`
-- bytes and the object store gave it `etag`.
CREATE TABLE ingest_parts (
  ref    TEXT NOT NULL REFERENCES ingests (ref) ON DELETE CASCADE,
  number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 10000),
  size   INTEGER NOT NULL CHECK (size >= 0),
  etag   TEXT NOT NULL,
  PRIMARY KEY (ref, number)
) WITHOUT ROWID;

-- What every node sharing the catalog must agree on, by name (written once,
-- by the first node that needs it; never changed by the library):
--   'blobs': where the blobs live, s3://BUCKET/PREFIX (without the endpoint
--   and region, by which each node may reach the bucket its own way).
CREATE TABLE store_settings (
  name  TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Blob files whose rows were deleted but whose files may still be on disk.
-- Internal: files are unlinked only once the deletion of their row is durable,
-- then the row here goes too.
CREATE TABLE pending_file_deletions (
  digest     TEXT PRIMARY KEY NOT NULL,
  deleted_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Times as RFC 3339 text, for people at the sqlite3 prompt.
CREATE VIEW blobs_readable AS
SELECT
  b.digest,
  b.size,
  strftime('%Y-%m-%dT%H:%M:%S', b.created_at / 1000000000, 'unixepoch')
    || printf('.%09dZ', b.created_at % 1000000000) AS created,
  strftime('%Y-%m-%dT%H:%M:%S', b.updated_at / 1000000000, 'unixepoch')
    || printf('.%09dZ', b.updated_at % 1000000000) AS updated,
  (SELECT group_concat(l.key || '=' || l.value, ',')
     FROM (SELECT key, value FROM blob_labels WHERE digest = b.digest ORDER BY key) AS l) AS labels
FROM blobs AS b;

CREATE VIEW ingests_readable AS
SELECT
  i.ref,
  i.offset,
  i.total,
  i.expected,
  strftime('%Y-%m-%dT%H:%M:%S', i.started_at / 1000000000, 'unixepoch')
    || printf('.%09dZ', i.started_at % 1000000000) AS started,
  strftime('%Y-%m-%dT%H:%M:%S', i.updated_at / 1000000000, 'unixepoch')
    || printf('.%09dZ', i.updated_at % 1000000000) AS updated,
  i.lock_pid AS locked_by_pid,
  CASE WHEN i.locked_at IS NULL THEN NULL
       ELSE strftime('%Y-%m-%dT%H:%M:%S', i.locked_at / 1000000000, 'unixepoch')
              || printf('.%09dZ', i.locked_at % 1000000000) END AS locked_since
FROM ingests AS i;

-- A lease holds blobs (by digest) and ingests (by ref) while it lives.
CREATE TABLE leases (
  id         TEXT PRIMARY KEY NOT NULL,
  created_at INTEGER NOT NULL,   -- ns since epoch UTC
  expires_at INTEGER             -- from the label containerd.io/gc.expire; NULL: never expires
) WITHOUT ROWID;

CREATE TABLE lease_labels (
  lease_id TEXT NOT NULL REFERENCES leases (id) ON DELETE CASCADE,
  key      TEXT NOT NULL CHECK (length(key) > 0),
  value    TEXT NOT NULL CHECK (length(value) > 0),
  PRIMARY KEY (lease_id, key)
) WITHOUT ROWID;

CREATE TABLE lease_resources (
  lease_id TEXT NOT NULL REFERENCES leases (id) ON DELETE CASCADE,
  type     TEXT NOT NULL CHECK (type IN ('content', 'ingest')),
  id       TEXT NOT NULL,        -- a digest for content, a ref for ingest
  PRIMARY KEY (lease_id, type, id)
) WITHOUT ROWID;

-- Which leases hold a given blob or ingest.
CREATE INDEX lease_resources_by_id ON lease_resources (type, id);

-- Named images (migration 6): a name points at a target descriptor and is
-- a GC root; ROOT/index.json lists them all.

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

-- Reference edges: a reference label whose value has the form of a digest (a
-- known algorithm and the right length) points from the labelled blob to
-- that digest. Values with other characters are not checked here (it would
-- cost a scan of every value per collection): they name no blob, so they
-- reach nothing; fsck reports them.
CREATE VIEW gc_edges (parent, child, label) AS
SELECT digest, value, key
FROM blob_labels
WHERE gc_reference
  AND ((substr(value, 1, 7) = 'sha256:' AND length(value) = 71)
    OR (substr(value, 1, 7) = 'sha384:' AND length(value) = 103)
    OR (substr(value, 1, 7) = 'sha512:' AND length(value) = 135));

-- The current time in nanoseconds since the Unix epoch, UTC: the last
-- nanosecond of the current millisecond (SQLite's clock has milliseconds),
-- so whatever was committed before a collection began is not "in the
-- future" of it.
CREATE VIEW gc_now (now) AS
SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000 + 999999;

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

-- The reference graph with numbers (migration 3): the collector walks
-- small integers numbered in commit order instead of 71-byte digests.

-- Every digest the graph has met: each committed blob, and each digest a
-- reference label names (which may not be committed yet, or any more). A
-- digest keeps its number while it is known, so a blob committed again is
-- reached through the links that already name it.
CREATE TABLE gc_nodes (
  id     INTEGER PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE
);

-- One row per (blob, digest one of its reference labels names): gc_edges
-- with numbers.
CREATE TABLE gc_links (
  parent INTEGER NOT NULL,   -- gc_nodes.id (= blobs.gc_id) of the labelled blob
  child  INTEGER NOT NULL,   -- gc_nodes.id of the digest the label names
  PRIMARY KEY (parent, child)
) WITHOUT ROWID;

-- Which links name a node (the collector forgets nodes nothing names).
CREATE INDEX gc_links_by_child ON gc_links (child);

-- Nodes that may be unused: those that lost a link or, renamed, their blob
-- (noted by the triggers) and removed blobs' (noted by the library when the
-- file goes). The library forgets those no blob has and no link names once
-- deletions pause.
CREATE TABLE gc_nodes_to_check (
  id INTEGER PRIMARY KEY   -- gc_nodes.id
);

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

-- The triggers that keep the graph equal to the labels, whoever writes
-- blobs or blob_labels. Their bodies live in three views with INSTEAD OF
-- triggers, so each is written once.

-- Inserting (parent, child) links blob `parent` to digest `child`.
CREATE VIEW gc_graph_link (parent, child) AS SELECT NULL, NULL WHERE 0;
CREATE TRIGGER gc_graph_link_insert INSTEAD OF INSERT ON gc_graph_link
BEGIN
  INSERT INTO gc_nodes (digest) VALUES (NEW.child) ON CONFLICT (digest) DO NOTHING;
  INSERT INTO gc_links (parent, child)
  SELECT b.gc_id, c.id FROM blobs AS b, gc_nodes AS c
  WHERE b.digest = NEW.parent AND c.digest = NEW.child
  ON CONFLICT (parent, child) DO NOTHING;
END;

-- Inserting (parent, child) drops that link unless another reference label of
-- `parent` still names `child`; the child's node is noted to be checked.
CREATE VIEW gc_graph_unlink (parent, child) AS SELECT NULL, NULL WHERE 0;
CREATE TRIGGER gc_graph_unlink_insert INSTEAD OF INSERT ON gc_graph_unlink
BEGIN
  INSERT INTO gc_nodes_to_check (id)
  SELECT id FROM gc_nodes WHERE digest = NEW.child
  ON CONFLICT (id) DO NOTHING;
  DELETE FROM gc_links
  WHERE parent = (SELECT gc_id FROM blobs WHERE digest = NEW.parent)
    AND child = (SELECT id FROM gc_nodes WHERE digest = NEW.child)
    AND NOT EXISTS (SELECT 1 FROM gc_edges WHERE parent = NEW.parent AND child = NEW.child);
END;

-- Inserting (digest) gives committed blob `digest` its number and the links
-- of its reference labels (labels may precede their blob when foreign keys
-- are deferred or off).
CREATE VIEW gc_graph_number (digest) AS SELECT NULL WHERE 0;
CREATE TRIGGER gc_graph_number_insert INSTEAD OF INSERT ON gc_graph_number
BEGIN
  INSERT INTO gc_nodes (digest) VALUES (NEW.digest) ON CONFLICT (digest) DO NOTHING;
  UPDATE blobs SET gc_id = (SELECT id FROM gc_nodes WHERE digest = NEW.digest)
  WHERE digest = NEW.digest;
  INSERT INTO gc_nodes (digest) SELECT child FROM gc_edges WHERE parent = NEW.digest
  ON CONFLICT (digest) DO NOTHING;
  INSERT INTO gc_links (parent, child)
  SELECT b.gc_id, c.id
  FROM blobs AS b JOIN gc_edges AS e ON e.parent = b.digest JOIN gc_nodes AS c ON c.digest = e.child
  WHERE b.digest = NEW.digest
  ON CONFLICT (parent, child) DO NOTHING;
END;

-- Labels normally come after their blob, but may precede it (deferred or
-- disabled foreign keys): a new blob's existing reference labels link too.
CREATE TRIGGER gc_graph_blob_inserted AFTER INSERT ON blobs
BEGIN
  INSERT INTO gc_graph_number (digest) VALUES (NEW.digest);
END;

-- A renamed blob (only by hand) loses its old number's links and is
-- numbered anew.
CREATE TRIGGER gc_graph_blob_renamed AFTER UPDATE OF digest ON blobs
WHEN OLD.digest IS NOT NEW.digest
BEGIN
  INSERT INTO gc_nodes_to_check (id)
  SELECT OLD.gc_id WHERE OLD.gc_id IS NOT NULL
  ON CONFLICT (id) DO NOTHING;
  INSERT INTO gc_nodes_to_check (id)
  SELECT child FROM gc_links WHERE parent = OLD.gc_id
  ON CONFLICT (id) DO NOTHING;
  DELETE FROM gc_links WHERE parent = OLD.gc_id;
  INSERT INTO gc_graph_number (digest) VALUES (NEW.digest);
END;

-- A label that gc_edges counts as a reference becomes a link.
-- A deleted blob references nothing any more. Its labels go by the foreign
-- key, before this runs; gc_graph_label_deleted leaves their links to this
-- trigger, which finds them all by number. (The blob's own node is checked
-- when its file is deleted, which knows the digest: a removal that names
-- nothing costs no extra row here.)
CREATE TRIGGER gc_graph_blob_deleted AFTER DELETE ON blobs
BEGIN
  INSERT INTO gc_nodes_to_check (id)
  SELECT child FROM gc_links WHERE parent = OLD.gc_id
  ON CONFLICT (id) DO NOTHING;
  DELETE FROM gc_links WHERE parent = OLD.gc_id;
END;

CREATE TRIGGER gc_graph_label_inserted AFTER INSERT ON blob_labels
WHEN EXISTS (SELECT 1 FROM gc_edges WHERE parent = NEW.digest AND label = NEW.key)
BEGIN
  INSERT INTO gc_graph_link (parent, child) VALUES (NEW.digest, NEW.value);
END;

CREATE TRIGGER gc_graph_label_updated_to AFTER UPDATE ON blob_labels
WHEN EXISTS (SELECT 1 FROM gc_edges WHERE parent = NEW.digest AND label = NEW.key)
BEGIN
  INSERT INTO gc_graph_link (parent, child) VALUES (NEW.digest, NEW.value);
END;

-- A link goes when no reference label of its (still committed) parent names
-- its child any more. (Labels deleted with their blob are left to
-- gc_graph_blob_deleted, which finds the links by number.)
CREATE TRIGGER gc_graph_label_deleted AFTER DELETE ON blob_labels
WHEN OLD.gc_reference AND EXISTS (SELECT 1 FROM blobs WHERE digest = OLD.digest)
BEGIN
  INSERT INTO gc_graph_unlink (parent, child) VALUES (OLD.digest, OLD.value);
END;

CREATE TRIGGER gc_graph_label_updated_from AFTER UPDATE ON blob_labels
WHEN OLD.gc_reference
BEGIN
  INSERT INTO gc_graph_unlink (parent, child) VALUES (OLD.digest, OLD.value);
END;

-- Inserting any row rebuilds the graph from the labels: keeps the nodes that
-- are right, fixes blobs.gc_id, rebuilds gc_links from gc_edges, forgets
-- nodes nothing uses. Blobs are numbered in commit order (blobs committed
-- together tend to be walked together).
CREATE VIEW gc_graph_rebuild (requested) AS SELECT NULL WHERE 0;
CREATE TRIGGER gc_graph_rebuild_insert INSTEAD OF INSERT ON gc_graph_rebuild
BEGIN
  DELETE FROM gc_links;
  INSERT INTO gc_nodes (digest) SELECT digest FROM blobs ORDER BY created_at, digest
  ON CONFLICT (digest) DO NOTHING;
  UPDATE blobs SET gc_id = (SELECT id FROM gc_nodes AS n WHERE n.digest = blobs.digest)
  WHERE gc_id IS NOT (SELECT id FROM gc_nodes AS n WHERE n.digest = blobs.digest);
  INSERT INTO gc_nodes (digest) SELECT child FROM gc_edges ORDER BY child
  ON CONFLICT (digest) DO NOTHING;
  INSERT INTO gc_links (parent, child)
  SELECT b.gc_id, c.id
  FROM gc_edges AS e JOIN blobs AS b ON b.digest = e.parent JOIN gc_nodes AS c ON c.digest = e.child
  WHERE true
  ON CONFLICT (parent, child) DO NOTHING;
  DELETE FROM gc_nodes
  WHERE NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.digest = gc_nodes.digest)
    AND NOT EXISTS (SELECT 1 FROM gc_links AS l WHERE l.child = gc_nodes.id);
  DELETE FROM gc_nodes_to_check;
END;

-- While a collection runs (a row in gc_runs), every change that can make a
-- digest reachable is logged in gc_revivals, for the collector's sweep to
-- spare what it reaches (migration 5, src/store/gc.cc).

-- Internal: collections in progress (one at a time; a row left by a
-- collector that died is cleared by the next one).
CREATE TABLE gc_runs (
  id         INTEGER PRIMARY KEY,
  pid        INTEGER NOT NULL,   -- the collecting process
  started_at INTEGER NOT NULL    -- ns since epoch UTC
);

-- Internal: gc_nodes ids that may have become reachable during a run, in
-- the order the changes committed.
CREATE TABLE gc_revivals (
  seq  INTEGER PRIMARY KEY,
  node INTEGER NOT NULL
);

CREATE TRIGGER gc_revive_linked AFTER INSERT ON gc_links
WHEN EXISTS (SELECT 1 FROM gc_runs)
BEGIN
  INSERT INTO gc_revivals (node) VALUES (NEW.child);
END;

CREATE TRIGGER gc_revive_rooted AFTER INSERT ON blob_labels
WHEN NEW.key = 'containerd.io/gc.root' AND EXISTS (SELECT 1 FROM gc_runs)
BEGIN
  INSERT INTO gc_revivals (node) SELECT id FROM gc_nodes WHERE digest = NEW.digest;
END;

CREATE TRIGGER gc_revive_leased AFTER INSERT ON lease_resources
WHEN NEW.type = 'content' AND EXISTS (SELECT 1 FROM gc_runs)
BEGIN
  INSERT INTO gc_revivals (node) SELECT id FROM gc_nodes WHERE digest = NEW.id;
END;

CREATE TRIGGER gc_revive_expected AFTER INSERT ON ingests
WHEN NEW.expected IS NOT NULL AND EXISTS (SELECT 1 FROM gc_runs)
BEGIN
  INSERT INTO gc_revivals (node) SELECT id FROM gc_nodes WHERE digest = NEW.expected;
END;

CREATE TRIGGER gc_revive_expected_changed AFTER UPDATE OF expected ON ingests
WHEN NEW.expected IS NOT NULL AND EXISTS (SELECT 1 FROM gc_runs)
BEGIN
  INSERT INTO gc_revivals (node) SELECT id FROM gc_nodes WHERE digest = NEW.expected;
END;

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
