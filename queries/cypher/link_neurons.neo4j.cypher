// (Layer)-[:HAS]->(Neuron) for NeuronRow.record() maps (id, layer_id).
UNWIND $rows AS row
MATCH (l:Layer {id: row.layer_id})
MATCH (n:Neuron {id: row.id})
MERGE (l)-[:HAS]->(n);
