// Upsert FLOW edges between ClassNeurons (a pair of them has at most one); returns how many
// rows found both ends.
UNWIND $rows AS row
MATCH (a:ClassNeuron {id: row.src})
MATCH (b:ClassNeuron {id: row.dst})
MERGE (a)-[f:FLOW]->(b)
SET f.relevance = row.relevance, f.share = row.share, f.cost = row.cost
RETURN count(*) AS written;
