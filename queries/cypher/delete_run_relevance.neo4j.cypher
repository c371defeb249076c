// Delete up to $batch RELEVANT edges of one run; repeat until it deletes none.
MATCH ()-[r:RELEVANT]->(:Neuron)
WHERE r.run = $run
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted;
