// The class's output neuron in a run: the neuron of the last layer ($layer) with the largest
// |relevance| (the explained logit; the others carry none), the smaller index on a tie. None
// if the run has no relevance for the class.
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(n:Neuron)
WITH r, n
WHERE r.run = $run AND n.layer = $layer
RETURN n.id AS id, r.images AS images, abs(r.relevance) AS strength, n.`index` AS idx
ORDER BY strength DESC, idx
LIMIT 1;
