// Upsert (Image)-[:RELEVANT]->(Neuron) keyed by (run, image, neuron); returns rows that matched.
// Not MERGE: planned on a database with few RELEVANT edges, MERGE looks the key up in the
// relevant_run index, which returns every edge of the run, and each batch then takes time
// quadratic in its size. The existing edge is found by expanding from its two ends instead; the
// list comparison keeps the index out of the plan.
UNWIND $rows AS row
MATCH (i:Image {id: row.src})
MATCH (n:Neuron {id: row.dst})
OPTIONAL MATCH (i)-[old:RELEVANT]->(n)
WHERE [old.run] = [row.run]
SET old.relevance = row.relevance, old.rank = row.rank
WITH *
CALL (i, n, row, old) {
  WITH * WHERE old IS NULL
  CREATE (i)-[:RELEVANT {run: row.run, relevance: row.relevance, rank: row.rank}]->(n)
}
RETURN count(*) AS written;
