// Upsert (Image)-[:RELEVANT]->(Neuron) keyed by (run, image, neuron); returns rows that matched.
// Not MERGE, for the reason in write_flows.neo4j.cypher (the relevant_run index).
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
