// The ClassNeurons a run already has for the given classes (kuzu: decides if a write of their
// flows is a rewrite, and which ends exist).
MATCH (c:Class)-[:HOLDS]->(a:ClassNeuron)
WHERE c.id IN $classes AND a.run = $run
RETURN a.id AS id;
