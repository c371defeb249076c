// Upsert FLOW edges keyed by (run, class, upper, lower); returns how many rows found both neurons.
UNWIND $rows AS row
MATCH (a:Neuron {id: row.src})
MATCH (b:Neuron {id: row.dst})
MERGE (a)-[f:FLOW {run: row.run, class: row.cls}]->(b)
SET f.relevance = row.relevance, f.share = row.share, f.cost = row.cost
RETURN count(*) AS written;
