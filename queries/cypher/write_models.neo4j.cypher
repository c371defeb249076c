// Upsert Model nodes from a batch of ModelRow.record() maps.
UNWIND $rows AS row
MERGE (n:Model {id: row.id})
SET n.name = row.name, n.arch = row.arch, n.layers = row.layers, n.neurons = row.neurons;
