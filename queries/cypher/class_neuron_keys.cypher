// The ClassNeurons of one class of a run, one row per layer: their indices and node keys as
// parallel lists. The key is the node's offset: flows_from_keys takes and returns keys, and
// class_flows returns them for the lower ends. Read once here, they spare those texts the
// ClassNeuron property reads through HOLDS that cost a pass over the whole ClassNeuron table
// each (kuzu 0.11.3: one step of 64 neurons 22 against 9 ms among 26.8M ClassNeurons).
// Keys are those of the stored nodes: a rewrite of the class gives it new ones.
MATCH (c:Class {id: $class_id})-[:HOLDS]->(n:ClassNeuron)
WITH n
WHERE n.run = $run
RETURN n.layer AS layer, collect(n.`index`) AS idx, collect(offset(id(n))) AS key;
