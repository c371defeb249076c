// One neuron's strongest incoming FLOW edges in a run, over all classes, by |relevance|.
MATCH (:Neuron {id: $neuron})-[:IN_CLASS]->(n:ClassNeuron)<-[f:FLOW]-(a:ClassNeuron)
WHERE n.run = $run
RETURN a.neuron AS src, n.class AS cls, f.relevance AS relevance, f.share AS share,
       f.cost AS cost, abs(f.relevance) AS strength
ORDER BY strength DESC, cls, src
LIMIT $k;
