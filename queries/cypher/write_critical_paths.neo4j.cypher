// Upsert CriticalPath nodes from a batch of CriticalPathRow.record() maps.
UNWIND $rows AS row
MERGE (n:CriticalPath {id: row.id})
SET n.run = row.run, n.class = row.cls, n.sign = row.sign, n.rank = row.rank,
    n.score = row.score;
