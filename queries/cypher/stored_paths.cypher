// The stored critical paths of one class and sign in a run: one row per path, its neurons from
// the output down.
MATCH (p:CriticalPath)-[s:STEP]->(n:Neuron)
WHERE p.run = $run AND p.class = $class_id AND p.sign = $sign
WITH p, s.position AS position, n.id AS neuron
ORDER BY position
RETURN p.rank AS rank, p.score AS score, collect(neuron) AS neurons
ORDER BY rank;
