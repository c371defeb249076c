// Upsert Neuron nodes from a dataframe of NeuronRow.record() columns.
LOAD FROM $rows
MERGE (n:Neuron {id: id})
SET n.model = model, n.layer = layer, n.`index` = idx;
