// Upsert Dataset nodes from a dataframe of DatasetRow.record() columns.
LOAD FROM $rows
MERGE (n:Dataset {id: id})
SET n.name = name, n.kind = kind, n.path = path;
