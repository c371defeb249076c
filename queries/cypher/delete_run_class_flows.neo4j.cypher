// Delete up to $batch ClassNeurons of one class in one run, with their FLOW edges; repeat until
// it deletes none.
MATCH (c:Class {id: $class_id})-[:HOLDS]->(a:ClassNeuron)
WHERE a.run = $run
WITH a LIMIT $batch
DETACH DELETE a
RETURN count(*) AS deleted;
