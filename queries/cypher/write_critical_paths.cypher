// Upsert CriticalPath nodes from a dataframe of CriticalPathRow.record() columns.
LOAD FROM $rows
MERGE (n:CriticalPath {id: id})
SET n.run = run, n.class = cls, n.sign = sign, n.rank = rank, n.score = score;
