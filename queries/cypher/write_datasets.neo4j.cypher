// Upsert Dataset nodes from a batch of DatasetRow.record() maps.
UNWIND $rows AS row
MERGE (n:Dataset {id: row.id})
SET n.name = row.name, n.kind = row.kind, n.path = row.path;
