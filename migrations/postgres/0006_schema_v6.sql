-- The contentstore catalog in PostgreSQL: schema version 6, created in one
-- step.
--
-- SQLite catalogs reached version 6 through migrations/0001..0006, each a
-- step from the one before. A PostgreSQL catalog has no such history (no
-- PostgreSQL catalog existed before version 6), so this one file builds
-- what those six build, translated: it is numbered 0006 so that the schema
-- version means the same in both engines, and a later change is
-- migrations/NNNN_name.sql beside migrations/postgres/NNNN_name.sql with the
-- same NNNN. schema/schema.sql describes the tables; what differs here:
--
--   * Types: bigint for SQLite's INTEGER (times in ns overflow int4), text,
--     bytea for the hash state, boolean for gc_reference. Text keys are
--     COLLATE "C": ordered bytewise as in SQLite, whatever the database's
--     locale, so keyset pages, ORDER BY and the range a ^prefix filter
--     seeks agree with SQLite's.
--   * blob_labels.gc_reference is a STORED generated column (PostgreSQL 15
--     has no virtual ones).
--   * Numbered rows (gc_nodes.id, gc_runs.id, gc_revivals.seq) are identity
--     columns.
--   * SQLite's trigger bodies become PL/pgSQL functions; its "procedure"
--     views (gc_graph_link, gc_graph_unlink, gc_graph_number) become plain
--     functions; gc_graph_rebuild stays a view with an INSTEAD OF trigger,
--     as fsck inserts into it. A trigger's WHEN cannot hold a subquery here,
--     so EXISTS tests moved into the function bodies.
--   * regexp(pattern, subject, what), which filters call, is PostgreSQL's ~
--     (POSIX advanced regular expressions, close to PCRE2 for what filters
--     use; `what` is only for SQLite's error messages).
--   * gc_now reads the server's clock in microseconds (the last nanosecond
--     of the current microsecond), not the Env's.
--
-- The version itself is the one row of schema_version (PostgreSQL has no
-- PRAGMA user_version); the library refuses a catalog whose version is newer
-- than it knows. The library runs this with the migration lock held
-- (pg_advisory_xact_lock), in one transaction with the version update.

CREATE TABLE schema_version (
  id      integer PRIMARY KEY CHECK (id = 1),  -- one row
  version integer NOT NULL
);

CREATE TABLE blobs (
  digest     text COLLATE "C" PRIMARY KEY,        -- 'sha256:<hex>', file at blobs/<alg>/<hex>
  size       bigint NOT NULL CHECK (size >= 0),   -- bytes
  created_at bigint NOT NULL,                     -- commit time, ns since epoch UTC
  updated_at bigint NOT NULL,                     -- commit time, then last label change
  gc_id      bigint                               -- the digest's number in gc_nodes (by trigger)
);

CREATE TABLE blob_labels (
  digest text COLLATE "C" NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  key    text COLLATE "C" NOT NULL CHECK (length(key) > 0),
  value  text COLLATE "C" NOT NULL CHECK (length(value) > 0),  -- empty values are never stored
  -- true when `key` is containerd.io/gc.ref.content, or starts with
  -- containerd.io/gc.ref.content. or containerd.io/gc.ref.content/.
  gc_reference boolean GENERATED ALWAYS AS (
    key = 'containerd.io/gc.ref.content'
    OR left(key, 29) IN ('containerd.io/gc.ref.content.', 'containerd.io/gc.ref.content/')) STORED,
  PRIMARY KEY (digest, key)
);

-- Serves filters and GC: by key (presence), by key and value (equality).
CREATE INDEX blob_labels_by_key_value ON blob_labels (key, value);

CREATE TABLE ingests (
  ref        text COLLATE "C" PRIMARY KEY,      -- the writer's ref
  id         text COLLATE "C" NOT NULL UNIQUE,  -- directory ingest/<id>/, sha256 of ref in hex
  "offset"   bigint NOT NULL DEFAULT 0 CHECK ("offset" >= 0),  -- bytes written, as of the last checkpoint
  total      bigint CHECK (total >= 0),         -- expected size, NULL when unknown
  expected   text COLLATE "C",                  -- expected digest, NULL when unknown
  algorithm  text NOT NULL,                     -- hash algorithm of the data
  hash_state bytea,                             -- internal: saved hash state covering offset bytes
  started_at bigint NOT NULL,                   -- ns since epoch UTC
  updated_at bigint NOT NULL,                   -- last write, as of the last checkpoint
  lock_pid   bigint,                            -- process id of the writer holding the ref, NULL when free
  lock_token text,                              -- internal: identifies that writer
  locked_at  bigint                             -- when that writer took the ref
);

CREATE INDEX ingests_locked ON ingests (locked_at) WHERE lock_token IS NOT NULL;

CREATE TABLE pending_file_deletions (
  digest     text COLLATE "C" PRIMARY KEY,
  deleted_at bigint NOT NULL
);

-- ns since the epoch as RFC 3339 text with nanoseconds, UTC.
CREATE FUNCTION rfc3339_nanos(ns bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_char(to_timestamp(floor(ns / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
       || '.' || lpad(CAST(((ns % 1000000000) + 1000000000) % 1000000000 AS text), 9, '0') || 'Z';

CREATE VIEW blobs_readable AS
SELECT
  b.digest,
  b.size,
  rfc3339_nanos(b.created_at) AS created,
  rfc3339_nanos(b.updated_at) AS updated,
  (SELECT string_agg(l.key || '=' || l.value, ',' ORDER BY l.key)
     FROM blob_labels AS l WHERE l.digest = b.digest) AS labels
FROM blobs AS b;

CREATE VIEW ingests_readable AS
SELECT
  i.ref,
  i."offset",
  i.total,
  i.expected,
  rfc3339_nanos(i.started_at) AS started,
  rfc3339_nanos(i.updated_at) AS updated,
  i.lock_pid AS locked_by_pid,
  rfc3339_nanos(i.locked_at) AS locked_since
FROM ingests AS i;

CREATE TABLE leases (
  id         text COLLATE "C" PRIMARY KEY,
  created_at bigint NOT NULL,   -- ns since epoch UTC
  expires_at bigint             -- from the label containerd.io/gc.expire; NULL: never expires
);

CREATE TABLE lease_labels (
  lease_id text COLLATE "C" NOT NULL REFERENCES leases (id) ON DELETE CASCADE,
  key      text COLLATE "C" NOT NULL CHECK (length(key) > 0),
  value    text COLLATE "C" NOT NULL CHECK (length(value) > 0),
  PRIMARY KEY (lease_id, key)
);

CREATE TABLE lease_resources (
  lease_id text COLLATE "C" NOT NULL REFERENCES leases (id) ON DELETE CASCADE,
  type     text COLLATE "C" NOT NULL CHECK (type IN ('content', 'ingest')),
  id       text COLLATE "C" NOT NULL,   -- a digest for content, a ref for ingest
  PRIMARY KEY (lease_id, type, id)
);

CREATE INDEX lease_resources_by_id ON lease_resources (type, id);

CREATE TABLE images (
  name       text COLLATE "C" PRIMARY KEY CHECK (length(name) > 0),
  digest     text COLLATE "C" NOT NULL,
  media_type text NOT NULL CHECK (length(media_type) > 0),
  size       bigint NOT NULL CHECK (size >= 0),
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE INDEX images_by_digest ON images (digest);

CREATE TABLE image_labels (
  name  text COLLATE "C" NOT NULL REFERENCES images (name) ON DELETE CASCADE,
  key   text COLLATE "C" NOT NULL CHECK (length(key) > 0),
  value text COLLATE "C" NOT NULL CHECK (length(value) > 0),
  PRIMARY KEY (name, key)
);

CREATE TABLE image_index (
  id         integer PRIMARY KEY CHECK (id = 1),  -- one row
  generation bigint NOT NULL,
  published  bigint NOT NULL
);
INSERT INTO image_index (id, generation, published) VALUES (1, 1, 0);

CREATE FUNCTION image_index_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE image_index SET generation = generation + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER image_index_inserted AFTER INSERT ON images
FOR EACH ROW EXECUTE FUNCTION image_index_bump();
CREATE TRIGGER image_index_updated AFTER UPDATE OF name, digest, media_type, size ON images
FOR EACH ROW EXECUTE FUNCTION image_index_bump();
CREATE TRIGGER image_index_deleted AFTER DELETE ON images
FOR EACH ROW EXECUTE FUNCTION image_index_bump();

CREATE VIEW images_readable AS
SELECT
  i.name,
  i.media_type,
  i.digest,
  i.size,
  rfc3339_nanos(i.created_at) AS created,
  rfc3339_nanos(i.updated_at) AS updated,
  (SELECT string_agg(l.key || '=' || l.value, ',' ORDER BY l.key)
     FROM image_labels AS l WHERE l.name = i.name) AS labels
FROM images AS i;

-- Filters' regexp(): true when `pattern` matches `subject` anywhere.
CREATE FUNCTION regexp(pattern text, subject text, what text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN subject ~ pattern;

CREATE VIEW gc_edges (parent, child, label) AS
SELECT digest, value, key
FROM blob_labels
WHERE gc_reference
  AND ((left(value, 7) = 'sha256:' AND length(value) = 71)
    OR (left(value, 7) = 'sha384:' AND length(value) = 103)
    OR (left(value, 7) = 'sha512:' AND length(value) = 135));

-- The current time in ns since the epoch, UTC: the last nanosecond of the
-- current microsecond of the server's clock.
CREATE VIEW gc_now (now) AS
SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000000) AS bigint) * 1000 + 999;

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

CREATE TABLE gc_nodes (
  id     bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  digest text COLLATE "C" NOT NULL UNIQUE
);

CREATE TABLE gc_links (
  parent bigint NOT NULL,
  child  bigint NOT NULL,
  PRIMARY KEY (parent, child)
);

CREATE INDEX gc_links_by_child ON gc_links (child);

CREATE TABLE gc_nodes_to_check (
  id bigint PRIMARY KEY
);

CREATE VIEW gc_reachable_ids (id) AS
WITH RECURSIVE reach (id) AS (
  SELECT n.id FROM gc_roots AS r JOIN gc_nodes AS n ON n.digest = r.digest
  UNION
  SELECT l.child FROM reach JOIN gc_links AS l ON l.parent = reach.id
)
SELECT id FROM reach;

CREATE VIEW gc_reachable (digest) AS
SELECT n.digest FROM gc_reachable_ids AS r JOIN gc_nodes AS n ON n.id = r.id;

CREATE VIEW gc_unreachable (digest, size, created_at) AS
SELECT digest, size, created_at
FROM blobs
WHERE gc_id IS NOT NULL AND gc_id NOT IN (SELECT id FROM gc_reachable_ids);

-- Links blob `parent` to digest `child` (SQLite's gc_graph_link view).
CREATE FUNCTION gc_graph_link(parent_digest text, child_digest text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gc_nodes (digest) VALUES (child_digest) ON CONFLICT (digest) DO NOTHING;
  INSERT INTO gc_links (parent, child)
  SELECT b.gc_id, c.id FROM blobs AS b, gc_nodes AS c
  WHERE b.digest = parent_digest AND c.digest = child_digest AND b.gc_id IS NOT NULL
  ON CONFLICT (parent, child) DO NOTHING;
END $$;

-- Drops that link unless another reference label of `parent` still names
-- `child`; the child's node is noted to be checked (gc_graph_unlink).
CREATE FUNCTION gc_graph_unlink(parent_digest text, child_digest text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gc_nodes_to_check (id)
  SELECT id FROM gc_nodes WHERE digest = child_digest
  ON CONFLICT (id) DO NOTHING;
  DELETE FROM gc_links
  WHERE parent = (SELECT gc_id FROM blobs WHERE digest = parent_digest)
    AND child = (SELECT id FROM gc_nodes WHERE digest = child_digest)
    AND NOT EXISTS (SELECT 1 FROM gc_edges AS e
                    WHERE e.parent = parent_digest AND e.child = child_digest);
END $$;

-- Gives committed blob `blob_digest` its number and the links of its
-- reference labels (gc_graph_number).
CREATE FUNCTION gc_graph_number(blob_digest text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gc_nodes (digest) VALUES (blob_digest) ON CONFLICT (digest) DO NOTHING;
  UPDATE blobs SET gc_id = (SELECT id FROM gc_nodes WHERE digest = blob_digest)
  WHERE digest = blob_digest;
  INSERT INTO gc_nodes (digest) SELECT child FROM gc_edges WHERE parent = blob_digest
  ON CONFLICT (digest) DO NOTHING;
  INSERT INTO gc_links (parent, child)
  SELECT b.gc_id, c.id
  FROM blobs AS b JOIN gc_edges AS e ON e.parent = b.digest JOIN gc_nodes AS c ON c.digest = e.child
  WHERE b.digest = blob_digest
  ON CONFLICT (parent, child) DO NOTHING;
END $$;

CREATE FUNCTION gc_graph_blob_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_graph_number(NEW.digest);
  RETURN NULL;
END $$;
CREATE TRIGGER gc_graph_blob_inserted AFTER INSERT ON blobs
FOR EACH ROW EXECUTE FUNCTION gc_graph_blob_inserted();

CREATE FUNCTION gc_graph_blob_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.gc_id IS NOT NULL THEN
    INSERT INTO gc_nodes_to_check (id) VALUES (OLD.gc_id) ON CONFLICT (id) DO NOTHING;
  END IF;
  INSERT INTO gc_nodes_to_check (id)
  SELECT child FROM gc_links WHERE parent = OLD.gc_id
  ON CONFLICT (id) DO NOTHING;
  DELETE FROM gc_links WHERE parent = OLD.gc_id;
  PERFORM gc_graph_number(NEW.digest);
  RETURN NULL;
END $$;
CREATE TRIGGER gc_graph_blob_renamed AFTER UPDATE OF digest ON blobs
FOR EACH ROW WHEN (OLD.digest IS DISTINCT FROM NEW.digest)
EXECUTE FUNCTION gc_graph_blob_renamed();

-- A deleted blob references nothing any more (its labels go by the foreign
-- key; their own trigger leaves the links to this one).
CREATE FUNCTION gc_graph_blob_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gc_nodes_to_check (id)
  SELECT child FROM gc_links WHERE parent = OLD.gc_id
  ON CONFLICT (id) DO NOTHING;
  DELETE FROM gc_links WHERE parent = OLD.gc_id;
  RETURN NULL;
END $$;
CREATE TRIGGER gc_graph_blob_deleted AFTER DELETE ON blobs
FOR EACH ROW EXECUTE FUNCTION gc_graph_blob_deleted();

-- A label that gc_edges counts as a reference becomes a link (on insert,
-- and on update to it).
CREATE FUNCTION gc_graph_label_linked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM gc_edges WHERE parent = NEW.digest AND label = NEW.key) THEN
    PERFORM gc_graph_link(NEW.digest, NEW.value);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER gc_graph_label_inserted AFTER INSERT ON blob_labels
FOR EACH ROW WHEN (NEW.gc_reference) EXECUTE FUNCTION gc_graph_label_linked();
CREATE TRIGGER gc_graph_label_updated_to AFTER UPDATE ON blob_labels
FOR EACH ROW WHEN (NEW.gc_reference) EXECUTE FUNCTION gc_graph_label_linked();

-- A link goes when no reference label of its (still committed) parent names
-- its child any more. Labels deleted with their blob are left to
-- gc_graph_blob_deleted.
CREATE FUNCTION gc_graph_label_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM blobs WHERE digest = OLD.digest) THEN
    PERFORM gc_graph_unlink(OLD.digest, OLD.value);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER gc_graph_label_deleted AFTER DELETE ON blob_labels
FOR EACH ROW WHEN (OLD.gc_reference) EXECUTE FUNCTION gc_graph_label_deleted();

CREATE FUNCTION gc_graph_label_updated_from() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_graph_unlink(OLD.digest, OLD.value);
  RETURN NULL;
END $$;
CREATE TRIGGER gc_graph_label_updated_from AFTER UPDATE ON blob_labels
FOR EACH ROW WHEN (OLD.gc_reference) EXECUTE FUNCTION gc_graph_label_updated_from();

-- Inserting any row rebuilds the graph from the labels (fsck).
CREATE VIEW gc_graph_rebuild (requested) AS SELECT CAST(NULL AS integer) WHERE false;
CREATE FUNCTION gc_graph_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM gc_links;
  INSERT INTO gc_nodes (digest) SELECT digest FROM blobs ORDER BY created_at, digest
  ON CONFLICT (digest) DO NOTHING;
  UPDATE blobs SET gc_id = n.id FROM gc_nodes AS n
  WHERE n.digest = blobs.digest AND blobs.gc_id IS DISTINCT FROM n.id;
  INSERT INTO gc_nodes (digest) SELECT child FROM gc_edges ORDER BY child
  ON CONFLICT (digest) DO NOTHING;
  INSERT INTO gc_links (parent, child)
  SELECT b.gc_id, c.id
  FROM gc_edges AS e JOIN blobs AS b ON b.digest = e.parent JOIN gc_nodes AS c ON c.digest = e.child
  ON CONFLICT (parent, child) DO NOTHING;
  DELETE FROM gc_nodes
  WHERE NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.digest = gc_nodes.digest)
    AND NOT EXISTS (SELECT 1 FROM gc_links AS l WHERE l.child = gc_nodes.id);
  DELETE FROM gc_nodes_to_check;
  RETURN NULL;
END $$;
CREATE TRIGGER gc_graph_rebuild_insert INSTEAD OF INSERT ON gc_graph_rebuild
FOR EACH ROW EXECUTE FUNCTION gc_graph_rebuild();

-- While a collection runs (a row in gc_runs), every change that can make a
-- digest reachable is logged in gc_revivals (migration 5, src/store/gc.cc).
CREATE TABLE gc_runs (
  id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  pid        bigint NOT NULL,
  started_at bigint NOT NULL
);

CREATE TABLE gc_revivals (
  seq  bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  node bigint NOT NULL
);

CREATE FUNCTION gc_revive_linked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM gc_runs) THEN
    INSERT INTO gc_revivals (node) VALUES (NEW.child);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER gc_revive_linked AFTER INSERT ON gc_links
FOR EACH ROW EXECUTE FUNCTION gc_revive_linked();

-- Logs digest `revived`'s node while a collection runs; the triggers below
-- call it with the column that names their digest.
CREATE FUNCTION gc_revive_digest(revived text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF revived IS NOT NULL AND EXISTS (SELECT 1 FROM gc_runs) THEN
    INSERT INTO gc_revivals (node) SELECT id FROM gc_nodes WHERE digest = revived;
  END IF;
END $$;

CREATE FUNCTION gc_revive_rooted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_revive_digest(NEW.digest);
  RETURN NULL;
END $$;
CREATE TRIGGER gc_revive_rooted AFTER INSERT ON blob_labels
FOR EACH ROW WHEN (NEW.key = 'containerd.io/gc.root') EXECUTE FUNCTION gc_revive_rooted();

CREATE FUNCTION gc_revive_leased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_revive_digest(NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER gc_revive_leased AFTER INSERT ON lease_resources
FOR EACH ROW WHEN (NEW.type = 'content') EXECUTE FUNCTION gc_revive_leased();

CREATE FUNCTION gc_revive_expected() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_revive_digest(NEW.expected);
  RETURN NULL;
END $$;
CREATE TRIGGER gc_revive_expected AFTER INSERT ON ingests
FOR EACH ROW WHEN (NEW.expected IS NOT NULL) EXECUTE FUNCTION gc_revive_expected();
CREATE TRIGGER gc_revive_expected_changed AFTER UPDATE OF expected ON ingests
FOR EACH ROW WHEN (NEW.expected IS NOT NULL) EXECUTE FUNCTION gc_revive_expected();

CREATE FUNCTION gc_revive_named() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_revive_digest(NEW.digest);
  RETURN NULL;
END $$;
CREATE TRIGGER gc_revive_named AFTER INSERT ON images
FOR EACH ROW EXECUTE FUNCTION gc_revive_named();
CREATE TRIGGER gc_revive_retargeted AFTER UPDATE OF digest ON images
FOR EACH ROW EXECUTE FUNCTION gc_revive_named();
