-- Run by the PostgreSQL catalog on each new connection, outside any
-- transaction: the collector's scratch tables (queries/postgres/gc.sql),
-- this connection's own. They are created here rather than by the
-- gc_scratch_clear script because the collector marks inside a read-only
-- transaction, which may write temporary tables but not create them.
SET client_min_messages = warning;
CREATE TEMP TABLE IF NOT EXISTS gc_revived (id bigint PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_sweep_batch (
  digest text COLLATE "C" PRIMARY KEY,
  id     bigint NOT NULL,   -- gc_nodes.id = blobs.gc_id at the mark
  size   bigint NOT NULL
);
