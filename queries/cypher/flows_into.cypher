// The FLOW edges of one class of a run that enter the given neurons (from above). Written from
// the lower end so that Kuzu starts at the given neurons.
MATCH (b:Neuron)<-[f:FLOW]-(a:Neuron)
WHERE b.id IN $ids
WITH a, f, b
WHERE f.run = $run AND f.class = $class_id
RETURN a.id AS src, b.id AS dst, f.relevance AS relevance, f.share AS share, f.cost AS cost;
