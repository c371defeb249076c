// One neuron's strongest incoming FLOW edges in a run, over all classes, by |relevance|.
MATCH (a:Neuron)-[f:FLOW]->(n:Neuron {id: $neuron})
WITH a, f
WHERE f.run = $run
RETURN a.id AS src, f.class AS cls, f.relevance AS relevance, f.share AS share,
       f.cost AS cost, abs(f.relevance) AS strength
ORDER BY strength DESC, cls, src
LIMIT $k;
