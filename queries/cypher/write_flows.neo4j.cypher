// Upsert FLOW edges keyed by (run, class, upper, lower); returns how many rows found both neurons.
// Not MERGE: planned on a database with few FLOW edges, MERGE looks the key up in the
// flow_run_class index, which returns every edge of the class, and each batch then takes time
// quadratic in its size. The existing edge is found by expanding from its neurons instead; the
// list comparison keeps the index out of the plan.
UNWIND $rows AS row
MATCH (a:Neuron {id: row.src})
MATCH (b:Neuron {id: row.dst})
OPTIONAL MATCH (a)-[old:FLOW]->(b)
WHERE [old.run, old.class] = [row.run, row.cls]
SET old.relevance = row.relevance, old.share = row.share, old.cost = row.cost
WITH *
CALL (a, b, row, old) {
  WITH * WHERE old IS NULL
  CREATE (a)-[:FLOW {run: row.run, class: row.cls, relevance: row.relevance, share: row.share,
                     cost: row.cost}]->(b)
}
RETURN count(*) AS written;
