-- fsck's own queries on the catalog (catalog/catalog_check.cc), PostgreSQL.

-- name: fsck_integrity
-- The server checks its own pages (data_checksums, amcheck are the DBA's);
-- the catalog has nothing to add, so it reports "ok" as SQLite's
-- integrity_check does when all is well.
SELECT 'ok' AS integrity_check

-- name: fsck_reference_labels
-- Labels with a reference key (blob_labels.gc_reference); fsck reports those
-- whose value is not a digest.
SELECT digest, key, value FROM blob_labels WHERE gc_reference ORDER BY digest, key

-- name: fsck_graph_drift
-- Where the numbered reference graph (gc_nodes, gc_links, blobs.gc_id) and
-- the labels disagree; the triggers keep them equal, so any row here means
-- the catalog was edited around them. One row per problem.
SELECT digest AS subject, 'has no number in gc_nodes' AS detail
FROM blobs AS b
WHERE gc_id IS NULL OR NOT EXISTS (SELECT 1 FROM gc_nodes AS n WHERE n.id = b.gc_id AND n.digest = b.digest)
UNION ALL
SELECT e.parent, 'reference to ' || e.child || ' (' || e.label || ') is missing from gc_links'
FROM gc_edges AS e JOIN blobs AS b ON b.digest = e.parent
WHERE NOT EXISTS (SELECT 1 FROM gc_links AS l JOIN gc_nodes AS c ON c.id = l.child
                  WHERE l.parent = b.gc_id AND c.digest = e.child)
UNION ALL
SELECT coalesce(p.digest, 'node ' || l.parent),
       'gc_links names ' || coalesce(c.digest, 'node ' || l.child) || ' but no reference label does'
FROM gc_links AS l
LEFT JOIN gc_nodes AS p ON p.id = l.parent
LEFT JOIN gc_nodes AS c ON c.id = l.child
WHERE NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.digest = p.digest AND b.gc_id = l.parent)
   OR NOT EXISTS (SELECT 1 FROM gc_edges AS e WHERE e.parent = p.digest AND e.child = c.digest)

-- name: fsck_graph_rebuild
-- The schema's own rebuild (the view gc_graph_rebuild's INSTEAD OF trigger).
INSERT INTO gc_graph_rebuild (requested) VALUES (1)
