// Delete every FLOW edge of one class in one run.
MATCH (:Neuron)-[f:FLOW]->(:Neuron)
WHERE f.run = $run AND f.class = $class_id
DELETE f;
