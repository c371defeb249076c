// Delete every FLOW edge of one run, with the run's ClassNeurons.
MATCH (a:ClassNeuron)
WHERE a.run = $run
DETACH DELETE a;
