// One neuron's strongest outgoing FLOW edges in a run, over all classes, by |relevance|.
MATCH (:Neuron {id: $neuron})-[:IN_CLASS]->(n:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WHERE n.run = $run
RETURN b.neuron AS dst, n.class AS cls, f.relevance AS relevance, f.share AS share,
       f.cost AS cost, abs(f.relevance) AS strength
ORDER BY strength DESC, cls, dst
LIMIT $k;
