// The FLOW edges of one class of a run that leave the given neurons (downwards). The hint keeps
// Kuzu at the class's own ClassNeurons: unhinted, the selective filter on a makes it scan every
// ClassNeuron of the store (kuzu 0.11.3); flows_from.neo4j.cypher is the same without it.
MATCH (c:Class {id: $class_id})-[h:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WHERE a.run = $run AND a.neuron IN $ids
HINT (((c JOIN h) JOIN a) JOIN f) JOIN b
RETURN a.neuron AS src, b.neuron AS dst, f.relevance AS relevance, f.share AS share,
       f.cost AS cost;
