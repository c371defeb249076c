// The neurons of the given layers that rank in the top $k of their layer for one class of a
// run (rank 1 = most relevant; the stored rank breaks ties by the smaller neuron index).
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(n:Neuron)
WITH r, n
WHERE r.run = $run AND r.rank <= $k AND n.layer IN $layers
RETURN n.id AS id, n.layer AS layer, n.`index` AS idx, r.relevance AS relevance,
       r.rank AS rank, r.retained AS retained;
