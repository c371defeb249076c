// Upsert (Class)-[:RELEVANT]->(Neuron) keyed by (run, class, neuron); returns rows that matched.
UNWIND $rows AS row
MATCH (c:Class {id: row.src})
MATCH (n:Neuron {id: row.dst})
MERGE (c)-[r:RELEVANT {run: row.run}]->(n)
SET r.relevance = row.relevance, r.rank = row.rank, r.mean = row.mean,
    r.retained = row.retained, r.images = row.images
RETURN count(*) AS written;
