// Which of the given ids ($ids) exist as Neuron nodes.
MATCH (n:Neuron)
WHERE n.id IN $ids
RETURN n.id AS id;
