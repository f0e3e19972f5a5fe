-- Migration 2: leases, and the views the garbage collector and outside tools
-- share (gc_roots, gc_edges, gc_reachable, gc_unreachable).

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

-- Reference edges: a label containerd.io/gc.ref.content, or one starting with
-- containerd.io/gc.ref.content. or containerd.io/gc.ref.content/, whose value
-- has the form of a digest (a known algorithm and the right length), points
-- from the labelled blob to that digest. The key range lets SQLite seek
-- blob_labels' primary key (digest, key) for one parent. Values with other
-- characters are not checked here (it would cost a scan of every value per
-- collection): they name no blob, so they reach nothing; fsck reports them.
CREATE VIEW gc_edges (parent, child, label) AS
SELECT digest, value, key
FROM blob_labels
WHERE key >= 'containerd.io/gc.ref.content' AND key < 'containerd.io/gc.ref.content0'
  AND (length(key) = 28 OR substr(key, 29, 1) IN ('.', '/'))
  AND ((substr(value, 1, 7) = 'sha256:' AND length(value) = 71)
    OR (substr(value, 1, 7) = 'sha384:' AND length(value) = 103)
    OR (substr(value, 1, 7) = 'sha512:' AND length(value) = 135));

-- What the collector keeps whatever else happens, and why: blobs labelled
-- containerd.io/gc.root (any value), blobs held by a lease that has not
-- expired, and the expected digest of every ingest. (Blobs younger than the
-- grace period are kept too; that cutoff is a parameter of each run, so it is
-- not in this view.)
CREATE VIEW gc_roots (digest, reason) AS
SELECT digest, 'label containerd.io/gc.root'
FROM blob_labels
WHERE key = 'containerd.io/gc.root'
UNION ALL
SELECT r.id, 'lease ' || r.lease_id
FROM lease_resources AS r JOIN leases AS l ON l.id = r.lease_id
WHERE r.type = 'content'
  AND (l.expires_at IS NULL
       OR l.expires_at > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000)
UNION ALL
SELECT expected, 'ingest ' || ref
FROM ingests
WHERE expected IS NOT NULL;

-- Everything reachable from a root through reference edges, cycles included.
CREATE VIEW gc_reachable (digest) AS
WITH RECURSIVE reach (digest) AS (
  SELECT digest FROM gc_roots
  UNION
  SELECT e.child FROM reach JOIN gc_edges AS e ON e.parent = reach.digest
)
SELECT digest FROM reach;

-- Committed blobs nothing reaches: what a collection removes once they are
-- older than the grace period.
CREATE VIEW gc_unreachable (digest, size, created_at) AS
SELECT b.digest, b.size, b.created_at
FROM blobs AS b
WHERE b.digest NOT IN (SELECT digest FROM gc_reachable);
