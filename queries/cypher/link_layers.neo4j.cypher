// (Layer)-[:`NEXT`]->(Layer) for consecutive layers of a model; rows: src, dst (Layer ids).
UNWIND $rows AS row
MATCH (a:Layer {id: row.src})
MATCH (b:Layer {id: row.dst})
MERGE (a)-[:`NEXT`]->(b);
