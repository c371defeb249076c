// How many (Image)-[:RELEVANT]->() edges a run already has for the given images.
MATCH (i:Image)-[r:RELEVANT]->(:Neuron)
WHERE r.run = $run AND i.id IN $sources
RETURN count(*) AS n;
