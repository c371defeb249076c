// Upsert Image nodes from a dataframe of ImageRow.record() columns.
LOAD FROM $rows
MERGE (n:Image {id: id})
SET n.dataset = dataset, n.path = path, n.label = label;
