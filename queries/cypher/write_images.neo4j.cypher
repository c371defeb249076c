// Upsert Image nodes from a batch of ImageRow.record() maps.
UNWIND $rows AS row
MERGE (n:Image {id: row.id})
SET n.dataset = row.dataset, n.path = row.path, n.label = row.label;
