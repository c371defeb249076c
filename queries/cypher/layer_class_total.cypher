// The relevance of one layer's neurons for one class of a run, summed.
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(n:Neuron)
WITH r, n
WHERE r.run = $run AND n.layer = $layer AND n.model = $model
RETURN sum(r.relevance) AS total, count(r) AS neurons;
