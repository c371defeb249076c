// The FLOW edges of one class of a run that enter the given neurons (from above): from the Class node.
MATCH (c:Class {id: $class_id})-[:HOLDS]->(b:ClassNeuron)<-[f:FLOW]-(a:ClassNeuron)
WHERE b.run = $run AND b.neuron IN $ids
RETURN a.neuron AS src, b.neuron AS dst, f.relevance AS relevance, f.share AS share,
       f.cost AS cost;
