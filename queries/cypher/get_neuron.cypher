// One Neuron node.
MATCH (n:Neuron {id: $neuron})
RETURN n.id AS id, n.model AS model, n.layer AS layer, n.`index` AS idx;
