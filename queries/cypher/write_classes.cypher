// Upsert Class nodes from a dataframe of ClassRow.record() columns.
LOAD FROM $rows
MERGE (n:Class {id: id})
SET n.dataset = dataset, n.name = name, n.`index` = idx, n.wnid = wnid;
