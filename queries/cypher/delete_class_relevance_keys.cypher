// Delete the (Class)-[:RELEVANT]->(Neuron) edges with the given keys (columns src, dst, run).
LOAD FROM $rows
MATCH (c:Class {id: src})-[r:RELEVANT]->(n:Neuron {id: dst})
WHERE r.run = run
DELETE r;
