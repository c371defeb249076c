// The FLOW edges of one class of a run that leave the given neurons (downwards).
MATCH (a:Neuron)-[f:FLOW]->(b:Neuron)
WHERE a.id IN $ids
WITH a, f, b
WHERE f.run = $run AND f.class = $class_id
RETURN a.id AS src, b.id AS dst, f.relevance AS relevance, f.share AS share, f.cost AS cost;
