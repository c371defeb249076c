// The images of one class (dataset $dataset, true label $label) with the largest relevance at
// one neuron in a run.
MATCH (i:Image)-[r:RELEVANT]->(n:Neuron {id: $neuron})
WITH i, r
WHERE r.run = $run AND i.dataset = $dataset AND i.label = $label
RETURN i.id AS image, r.relevance AS relevance, r.rank AS rank
ORDER BY relevance DESC, image
LIMIT $k;
