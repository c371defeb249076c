// One neuron's strongest outgoing FLOW edges in a run, over all classes, by |relevance|.
MATCH (n:Neuron {id: $neuron})-[f:FLOW]->(b:Neuron)
WITH b, f
WHERE f.run = $run
RETURN b.id AS dst, f.class AS cls, f.relevance AS relevance, f.share AS share,
       f.cost AS cost, abs(f.relevance) AS strength
ORDER BY strength DESC, cls, dst
LIMIT $k;
