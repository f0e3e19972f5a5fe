-- fsck's queries.

-- name: fsck_integrity
PRAGMA integrity_check

-- name: fsck_total_size
SELECT coalesce(sum(size), 0) FROM blobs

-- name: fsck_blob_page
SELECT digest, size FROM blobs WHERE digest > ?1 ORDER BY digest LIMIT 1000

-- name: fsck_ingests
SELECT ref, id, offset FROM ingests ORDER BY ref

-- name: fsck_reference_labels
-- Labels with a reference key (the key half of the view gc_edges); fsck
-- reports those whose value is not a digest.
SELECT digest, key, value
FROM blob_labels
WHERE key >= 'containerd.io/gc.ref.content' AND key < 'containerd.io/gc.ref.content0'
  AND (length(key) = 28 OR substr(key, 29, 1) IN ('.', '/'))
ORDER BY digest, key

-- name: fsck_graph_drift
-- Where the numbered reference graph (gc_nodes, gc_links, blobs.gc_id) and
-- the labels disagree; the triggers keep them equal, so any row here means
-- the catalog was edited around them. One row per problem: subject, detail.
SELECT digest, 'has no number in gc_nodes'
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
-- Renumbers nothing that is right: keeps existing nodes, fixes blobs.gc_id,
-- rebuilds gc_links from gc_edges, forgets nodes nothing uses. (Migration 3
-- populates the graph the same way; migrations are frozen, so this is its
-- own copy.)
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
DELETE FROM gc_nodes_to_check
