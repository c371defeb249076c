// The images of a run with the largest relevance at one neuron.
MATCH (i:Image)-[r:RELEVANT]->(n:Neuron {id: $neuron})
WITH i, r
WHERE r.run = $run
RETURN i.id AS image, r.relevance AS relevance, r.rank AS rank
ORDER BY relevance DESC, image
LIMIT $k;
