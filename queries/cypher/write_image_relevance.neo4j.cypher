// Upsert (Image)-[:RELEVANT]->(Neuron) keyed by (run, image, neuron); returns rows that matched.
UNWIND $rows AS row
MATCH (i:Image {id: row.src})
MATCH (n:Neuron {id: row.dst})
MERGE (i)-[r:RELEVANT {run: row.run}]->(n)
SET r.relevance = row.relevance, r.rank = row.rank
RETURN count(*) AS written;
