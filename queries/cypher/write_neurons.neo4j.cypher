// Upsert Neuron nodes from a batch of NeuronRow.record() maps.
UNWIND $rows AS row
MERGE (n:Neuron {id: row.id})
SET n.model = row.model, n.layer = row.layer, n.`index` = row.idx;
