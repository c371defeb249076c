// Delete up to $batch ClassNeurons of one run, with their FLOW edges; repeat until it deletes
// none.
MATCH (a:ClassNeuron)
WHERE a.run = $run
WITH a LIMIT $batch
DETACH DELETE a
RETURN count(*) AS deleted;
