// How many (Class)-[:RELEVANT]->() edges a run already has for the given classes.
MATCH (c:Class)-[r:RELEVANT]->(:Neuron)
WHERE r.run = $run AND c.id IN $sources
RETURN count(*) AS n;
