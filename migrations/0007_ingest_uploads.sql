-- Migration 7, for stores whose blobs are in a bucket (Options::blobs =
-- s3://...) and whose catalog several nodes share:
--   - ingests whose bytes go to the bucket while they are written: each such
--     ingest is a multipart upload, and its row says which parts hold which
--     bytes, so a writer on any machine sharing the catalog resumes it
--     without sending those bytes again (a store whose blobs are local never
--     sets these columns);
--   - store_settings: where the blobs are, so that a node given another
--     bucket is refused instead of seeing every blob missing.

-- The tier's id of the ingest's upload; NULL while every byte is local.
ALTER TABLE ingests ADD COLUMN upload_id TEXT;
-- How many bytes, from the start, the recorded parts hold (<= offset).
ALTER TABLE ingests ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded >= 0);
-- Internal: the saved hash state covering the `uploaded` bytes.
ALTER TABLE ingests ADD COLUMN uploaded_hash_state BLOB;
-- Which machine's ingest directory holds the bytes past `uploaded` that the
-- checkpoint (offset, hash_state) vouches for: the node id of that root
-- (ROOT/node-id) when the catalog is shared, NULL when it is not.
ALTER TABLE ingests ADD COLUMN staged_on TEXT;

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
