// The FLOW edges of one class of a run that enter the given neurons (from above); hinted, and
// the neurons' indices tested first, as in flows_from.cypher.
MATCH (c:Class {id: $class_id})-[h:HOLDS]->(b:ClassNeuron)<-[f:FLOW]-(a:ClassNeuron)
WHERE b.`index` IN $indices AND b.run = $run AND b.neuron IN $ids
HINT (((c JOIN h) JOIN b) JOIN f) JOIN a
RETURN a.neuron AS src, b.neuron AS dst, f.relevance AS relevance, f.share AS share,
       f.cost AS cost;
