// The FLOW edges that leave the given ClassNeurons of one class ($keys: their keys from
// class_neuron_keys), with both ends as keys. Only the edges' properties are read: the keys
// already name the class's nodes of the run, and FLOW joins ClassNeurons of one run and class.
MATCH (c:Class {id: $class_id})-[:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WHERE offset(id(a)) IN $keys
RETURN offset(id(a)) AS src, offset(id(b)) AS dst, f.relevance AS relevance, f.share AS share,
       f.cost AS cost;
