-- Migration 4: one definition for each idea the catalog used to spell out
-- several times.
--
--  - blob_labels.gc_reference: whether a label's key is a containerd
--    reference key, the test that gc_edges, fsck and the graph triggers share.
--  - gc_now: the collector's "now", shared with gc_roots, so a collection and
--    a person at the sqlite3 prompt agree on which leases have expired.
--  - The reference-graph triggers keep their bodies in three views with
--    INSTEAD OF triggers (gc_graph_link, gc_graph_unlink, gc_graph_number),
--    so each body is written once.
--  - gc_graph_rebuild: the graph built again from the labels, used right
--    below and by fsck --repair.

-- 1 when `key` is containerd.io/gc.ref.content, or starts with
-- containerd.io/gc.ref.content. or containerd.io/gc.ref.content/ (the key
-- is 28 bytes long, and its 29th byte is the separator).
ALTER TABLE blob_labels ADD COLUMN gc_reference INTEGER GENERATED ALWAYS AS (
  key >= 'containerd.io/gc.ref.content' AND key < 'containerd.io/gc.ref.content0'
  AND (length(key) = 28 OR substr(key, 29, 1) IN ('.', '/'))) VIRTUAL;

-- Reference edges: a reference label whose value has the form of a digest (a
-- known algorithm and the right length) points from the labelled blob to
-- that digest. Values with other characters are not checked here (it would
-- cost a scan of every value per collection): they name no blob, so they
-- reach nothing; fsck reports them.
DROP VIEW gc_edges;
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
-- expired, and the expected digest of every ingest. (Blobs younger than the
-- grace period are kept too; that cutoff is a parameter of each run, so it is
-- not in this view.)
DROP VIEW gc_roots;
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
WHERE expected IS NOT NULL;

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

DROP TRIGGER gc_graph_blob_inserted;
DROP TRIGGER gc_graph_blob_renamed;
DROP TRIGGER gc_graph_label_inserted;
DROP TRIGGER gc_graph_label_updated_to;
DROP TRIGGER gc_graph_label_deleted;
DROP TRIGGER gc_graph_label_updated_from;

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

INSERT INTO gc_graph_rebuild (requested) VALUES (1);
