// Delete every FLOW edge of one run.
MATCH (:Neuron)-[f:FLOW]->(:Neuron)
WHERE f.run = $run
DELETE f;
