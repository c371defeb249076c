// (Layer)-[:HAS]->(Neuron) for NeuronRow.record() columns (id, layer_id).
LOAD FROM $rows
MATCH (l:Layer {id: layer_id}), (n:Neuron {id: id})
MERGE (l)-[:HAS]->(n);
