// The FLOW edges that leave the given ClassNeurons of one class ($keys: their keys from
// class_neuron_keys), with both ends as keys. Only the edges' properties are read: the keys
// already name the class's nodes of the run, and FLOW joins ClassNeurons of one run and class.
// The keys are kept before FLOW is matched, so that kuzu extends the edges from those nodes;
// in one pattern it scans the ClassNeuron table under the class's semi-mask, which grows with
// the store (kuzu 0.11.3, 64 keys among 26.8M ClassNeurons: 4.5 against 11 ms).
MATCH (c:Class {id: $class_id})-[:HOLDS]->(a:ClassNeuron)
WITH a
WHERE offset(id(a)) IN $keys
MATCH (a)-[f:FLOW]->(b:ClassNeuron)
RETURN offset(id(a)) AS src, offset(id(b)) AS dst, f.relevance AS relevance, f.share AS share,
       f.cost AS cost;
