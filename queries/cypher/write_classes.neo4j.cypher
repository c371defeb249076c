// Upsert Class nodes from a batch of ClassRow.record() maps.
UNWIND $rows AS row
MERGE (n:Class {id: row.id})
SET n.dataset = row.dataset, n.name = row.name, n.`index` = row.idx, n.wnid = row.wnid;
