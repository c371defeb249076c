// Delete up to $batch FLOW edges of one run; repeat until it deletes none.
MATCH (:Neuron)-[f:FLOW]->(:Neuron)
WHERE f.run = $run
WITH f LIMIT $batch
DELETE f
RETURN count(*) AS deleted;
