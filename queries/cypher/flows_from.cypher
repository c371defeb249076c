// The FLOW edges of one class of a run that leave the given neurons (downwards). The hint keeps
// Kuzu at the class's own ClassNeurons: unhinted, the selective filter on a makes it scan every
// ClassNeuron of the store (kuzu 0.11.3); flows_from.neo4j.cypher is the same without it. kuzu
// tests the conditions in the order written, and $ids by comparing strings one by one: the
// integer test on the neurons' indices ($indices) first leaves it few rows (a third less time
// with 40 ids).
MATCH (c:Class {id: $class_id})-[h:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WHERE a.`index` IN $indices AND a.run = $run AND a.neuron IN $ids
HINT (((c JOIN h) JOIN a) JOIN f) JOIN b
RETURN a.neuron AS src, b.neuron AS dst, f.relevance AS relevance, f.share AS share,
       f.cost AS cost;
