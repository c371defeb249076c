// Delete up to $batch per-class neuron stats of one class in one run; repeat until none.
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(:Neuron)
WHERE r.run = $run
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted;
