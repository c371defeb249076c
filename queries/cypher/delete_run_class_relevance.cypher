// Delete the per-class neuron stats of one class in one run.
MATCH (c:Class {id: $class_id})-[r:RELEVANT]->(:Neuron)
WHERE r.run = $run
DELETE r;
