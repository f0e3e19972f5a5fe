-- Migration 5: what lets a collection mark on a read snapshot and sweep in
-- short transactions (src/store/gc.cc) without losing anything that becomes
-- reachable meanwhile.
--
-- While a collection runs (a row in gc_runs), every change that can make a
-- digest reachable is logged in gc_revivals: a new reference link (its
-- child), a new containerd.io/gc.root label, a lease taking content, an
-- ingest expecting a digest. Each sweep batch walks from the entries logged
-- since the last one and spares what it reaches. (A blob committed again
-- meanwhile is younger than the run's cutoff, which the batch re-checks.)
-- When no collection runs, the triggers only look at an empty table.

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
