-- contentstore catalog: the current full schema (version 1).
--
-- This file creates a fresh catalog. migrations/NNNN_*.sql bring older
-- catalogs to the same shape; a test checks that both give the same schema.
-- PRAGMA user_version holds the schema version.
--
-- Public tables and views (a documented interface, see README.md): blobs,
-- blob_labels, ingests, blobs_readable, ingests_readable. Times are integer
-- nanoseconds since the Unix epoch, UTC. Columns marked "internal" may change
-- meaning between versions; do not rely on them from outside the library.

CREATE TABLE blobs (
  digest     TEXT PRIMARY KEY NOT NULL,            -- 'sha256:<hex>', file at blobs/<alg>/<hex>
  size       INTEGER NOT NULL CHECK (size >= 0),   -- bytes
  created_at INTEGER NOT NULL,                     -- commit time, ns since epoch UTC
  updated_at INTEGER NOT NULL                      -- commit time, then last label change
) WITHOUT ROWID;

CREATE TABLE blob_labels (
  digest TEXT NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  key    TEXT NOT NULL CHECK (length(key) > 0),
  value  TEXT NOT NULL CHECK (length(value) > 0),  -- empty values are never stored
  PRIMARY KEY (digest, key)
) WITHOUT ROWID;

-- Serves filters and GC: by key (presence), by key and value (equality).
CREATE INDEX blob_labels_by_key_value ON blob_labels (key, value);

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
  locked_at  INTEGER                            -- when that writer took the ref
) WITHOUT ROWID;

-- Finds writers that may have died holding a ref (open-time recovery).
CREATE INDEX ingests_locked ON ingests (locked_at) WHERE lock_token IS NOT NULL;

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
