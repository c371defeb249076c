// Delete every RELEVANT edge (from classes and from images) of one run.
MATCH ()-[r:RELEVANT]->(:Neuron)
WHERE r.run = $run
DELETE r;
