-- Migration 7 (migrations/0007_ingest_uploads.sql in SQLite's dialect):
-- ingests whose bytes go to an object store while they are written, as
-- multipart uploads whose parts the catalog records, so a writer on any node
-- resumes them without sending those bytes again; and store_settings, where
-- the blobs are, which every node must agree on.

ALTER TABLE ingests ADD COLUMN upload_id text COLLATE "C";  -- NULL while every byte is local
ALTER TABLE ingests ADD COLUMN uploaded bigint NOT NULL DEFAULT 0 CHECK (uploaded >= 0);  -- bytes the parts hold
ALTER TABLE ingests ADD COLUMN uploaded_hash_state bytea;  -- internal: hash state covering `uploaded` bytes
ALTER TABLE ingests ADD COLUMN staged_on text COLLATE "C";  -- node id whose ingest directory holds the bytes past `uploaded`

CREATE TABLE ingest_parts (
  ref    text COLLATE "C" NOT NULL REFERENCES ingests (ref) ON DELETE CASCADE,
  number integer NOT NULL CHECK (number BETWEEN 1 AND 10000),
  size   bigint NOT NULL CHECK (size >= 0),
  etag   text NOT NULL,
  PRIMARY KEY (ref, number)
);

-- What every node sharing the catalog must agree on, by name ('blobs':
-- s3://BUCKET/PREFIX), written once by the first node that needs it.
CREATE TABLE store_settings (
  name  text COLLATE "C" PRIMARY KEY,
  value text NOT NULL
);
