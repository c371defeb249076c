// Upsert ClassNeuron nodes with their HOLDS and IN_CLASS edges; returns how many rows found
// both their Class and their Neuron.
UNWIND $rows AS row
MATCH (c:Class {id: row.cls})
MATCH (n:Neuron {id: row.neuron})
MERGE (a:ClassNeuron {id: row.id})
SET a.run = row.run, a.class = row.cls, a.neuron = row.neuron, a.layer = row.layer,
    a.`index` = row.idx
MERGE (c)-[:HOLDS]->(a)
MERGE (n)-[:IN_CLASS]->(a)
RETURN count(*) AS written;
