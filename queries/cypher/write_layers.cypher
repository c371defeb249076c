// Upsert Layer nodes from a dataframe of LayerRow.record() columns.
LOAD FROM $rows
MERGE (n:Layer {id: id})
SET n.model = model, n.name = name, n.`index` = idx, n.kind = kind, n.`size` = `size`;
