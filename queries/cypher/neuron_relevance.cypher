// The class relevance of the given neurons for one class of a run ($indices: their indices,
// tested before the ids as in flows_from.cypher).
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(n:Neuron)
WHERE n.`index` IN $indices AND n.id IN $ids
WITH r, n
WHERE r.run = $run
RETURN n.id AS id, r.relevance AS relevance;
