// Delete the FLOW edges with the given keys (columns src, dst: ClassNeuron ids) before they are
// copied again.
LOAD FROM $rows
MATCH (a:ClassNeuron {id: src})-[f:FLOW]->(b:ClassNeuron {id: dst})
DELETE f;
