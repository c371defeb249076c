// Delete up to $batch FLOW edges of one class in one run; repeat until it deletes none.
MATCH (:Neuron)-[f:FLOW]->(:Neuron)
WHERE f.run = $run AND f.class = $class_id
WITH f LIMIT $batch
DELETE f
RETURN count(*) AS deleted;
