// Upsert Model nodes from a dataframe of ModelRow.record() columns.
LOAD FROM $rows
MERGE (n:Model {id: id})
SET n.name = name, n.arch = arch, n.layers = layers, n.neurons = neurons;
