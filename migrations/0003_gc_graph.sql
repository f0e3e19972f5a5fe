-- Migration 3: the reference graph with integer keys (gc_nodes, gc_links,
-- blobs.gc_id), kept by triggers; gc_reachable and gc_unreachable now walk it.
--
-- Why: walking the graph over blob_labels costs several random b-tree
-- operations per blob on 71-byte text keys (edge seek, de-duplication, the
-- NOT IN set): 17 s at a million blobs. The same walk over integers numbered
-- in commit order touches a few small, mostly sequential pages. The triggers
-- keep the graph right whoever writes blobs or blob_labels, the library or
-- the sqlite3 shell.

-- The number of the blob's digest in gc_nodes.
ALTER TABLE blobs ADD COLUMN gc_id INTEGER;

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

-- Labels normally come after their blob, but may precede it (deferred or
-- disabled foreign keys): a new blob's existing reference labels link too.
CREATE TRIGGER gc_graph_blob_inserted AFTER INSERT ON blobs
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

-- A label that gc_edges counts as a reference becomes a link.
CREATE TRIGGER gc_graph_label_inserted AFTER INSERT ON blob_labels
WHEN EXISTS (SELECT 1 FROM gc_edges WHERE parent = NEW.digest AND label = NEW.key)
BEGIN
  INSERT INTO gc_nodes (digest) VALUES (NEW.value) ON CONFLICT (digest) DO NOTHING;
  INSERT INTO gc_links (parent, child)
  SELECT b.gc_id, c.id FROM blobs AS b, gc_nodes AS c
  WHERE b.digest = NEW.digest AND c.digest = NEW.value
  ON CONFLICT (parent, child) DO NOTHING;
END;

CREATE TRIGGER gc_graph_label_updated_to AFTER UPDATE ON blob_labels
WHEN EXISTS (SELECT 1 FROM gc_edges WHERE parent = NEW.digest AND label = NEW.key)
BEGIN
  INSERT INTO gc_nodes (digest) VALUES (NEW.value) ON CONFLICT (digest) DO NOTHING;
  INSERT INTO gc_links (parent, child)
  SELECT b.gc_id, c.id FROM blobs AS b, gc_nodes AS c
  WHERE b.digest = NEW.digest AND c.digest = NEW.value
  ON CONFLICT (parent, child) DO NOTHING;
END;

-- A link goes when no reference label of its (still committed) parent names
-- its child any more.
CREATE TRIGGER gc_graph_label_deleted AFTER DELETE ON blob_labels
WHEN OLD.key >= 'containerd.io/gc.ref.content' AND OLD.key < 'containerd.io/gc.ref.content0'
  AND EXISTS (SELECT 1 FROM blobs WHERE digest = OLD.digest)
BEGIN
  INSERT INTO gc_nodes_to_check (id)
  SELECT id FROM gc_nodes WHERE digest = OLD.value
  ON CONFLICT (id) DO NOTHING;
  DELETE FROM gc_links
  WHERE parent = (SELECT gc_id FROM blobs WHERE digest = OLD.digest)
    AND child = (SELECT id FROM gc_nodes WHERE digest = OLD.value)
    AND NOT EXISTS (SELECT 1 FROM gc_edges WHERE parent = OLD.digest AND child = OLD.value);
END;

CREATE TRIGGER gc_graph_label_updated_from AFTER UPDATE ON blob_labels
WHEN OLD.key >= 'containerd.io/gc.ref.content' AND OLD.key < 'containerd.io/gc.ref.content0'
BEGIN
  INSERT INTO gc_nodes_to_check (id)
  SELECT id FROM gc_nodes WHERE digest = OLD.value
  ON CONFLICT (id) DO NOTHING;
  DELETE FROM gc_links
  WHERE parent = (SELECT gc_id FROM blobs WHERE digest = OLD.digest)
    AND child = (SELECT id FROM gc_nodes WHERE digest = OLD.value)
    AND NOT EXISTS (SELECT 1 FROM gc_edges WHERE parent = OLD.digest AND child = OLD.value);
END;

-- The graph of what is already here is built by migration 4's
-- gc_graph_rebuild, which runs in the same transaction as this one (all
-- pending migrations do). (Until version 0.2 this migration held its own copy
-- of that rebuild; the result is the same.)

-- Reachability, now over the numbered graph.
DROP VIEW gc_unreachable;
DROP VIEW gc_reachable;

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
