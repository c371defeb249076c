// The most relevant neuron (rank 1) of every layer for one class of a run; none if the run
// has no relevance for the class.
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(n:Neuron)
WITH r, n
WHERE r.run = $run AND r.rank = 1
RETURN n.id AS id, n.layer AS layer, n.`index` AS idx, r.images AS images;
