// Upsert Layer nodes from a batch of LayerRow.record() maps.
UNWIND $rows AS row
MERGE (n:Layer {id: row.id})
SET n.model = row.model, n.name = row.name, n.`index` = row.idx, n.kind = row.kind, n.`size` = row.`size`;
