// One neuron's stored statistics for one class of a run: relevance summed over the class's
// images, rank in its layer, retained (the fraction its stored top-k FLOW edges keep).
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(n:Neuron {id: $neuron})
WITH r
WHERE r.run = $run
RETURN r.relevance AS relevance, r.rank AS rank, r.retained AS retained, r.images AS images;
