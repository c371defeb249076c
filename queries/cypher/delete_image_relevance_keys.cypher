// Delete the (Image)-[:RELEVANT]->(Neuron) edges with the given keys (columns src, dst, run).
LOAD FROM $rows
MATCH (i:Image {id: src})-[r:RELEVANT]->(n:Neuron {id: dst})
WHERE r.run = run
DELETE r;
