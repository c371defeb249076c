// Upsert (Class)-[:RELEVANT]->(Neuron) keyed by (run, class, neuron); returns rows that matched.
// Not MERGE: planned on a database with few RELEVANT edges, MERGE looks the key up in the
// relevant_run index, which returns every edge of the run, and each batch then takes time
// quadratic in its size. The existing edge is found by expanding from its two ends instead; the
// list comparison keeps the index out of the plan.
UNWIND $rows AS row
MATCH (c:Class {id: row.src})
MATCH (n:Neuron {id: row.dst})
OPTIONAL MATCH (c)-[old:RELEVANT]->(n)
WHERE [old.run] = [row.run]
SET old.relevance = row.relevance, old.rank = row.rank, old.mean = row.mean,
    old.retained = row.retained, old.images = row.images
WITH *
CALL (c, n, row, old) {
  WITH * WHERE old IS NULL
  CREATE (c)-[:RELEVANT {run: row.run, relevance: row.relevance, rank: row.rank, mean: row.mean,
                         retained: row.retained, images: row.images}]->(n)
}
RETURN count(*) AS written;
