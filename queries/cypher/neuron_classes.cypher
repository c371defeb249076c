// The classes of a run where one neuron ranks highest in its layer.
MATCH (c:Class)-[r:RELEVANT]->(n:Neuron {id: $neuron})
WITH c, r
WHERE r.run = $run
RETURN c.id AS id, c.name AS name, r.rank AS rank, r.relevance AS relevance
ORDER BY rank, relevance DESC, id
LIMIT $k;
