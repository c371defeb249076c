// How many FLOW edges a run already has for the given classes (kuzu: decides if a write is a rewrite).
MATCH (:Neuron)-[f:FLOW]->(:Neuron)
WHERE f.run = $run AND f.class IN $classes
RETURN count(*) AS n;
