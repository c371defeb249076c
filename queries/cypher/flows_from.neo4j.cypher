// The FLOW edges of one class of a run that leave the given neurons (downwards): from the Class node.
MATCH (c:Class {id: $class_id})-[:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WHERE a.run = $run AND a.neuron IN $ids
RETURN a.neuron AS src, b.neuron AS dst, f.relevance AS relevance, f.share AS share,
       f.cost AS cost;
