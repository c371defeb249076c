// Delete the FLOW edges with the given keys (columns src, dst, run, cls) before they are copied again.
LOAD FROM $rows
MATCH (a:Neuron {id: src})-[f:FLOW]->(b:Neuron {id: dst})
WHERE f.run = run AND f.class = cls
DELETE f;
