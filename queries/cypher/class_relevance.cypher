// Every neuron's relevance for one class of a run, as one row of parallel lists per layer.
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(n:Neuron)
WITH r, n
WHERE r.run = $run
RETURN n.layer AS layer, collect(n.`index`) AS idx, collect(r.relevance) AS relevance;
