// (Layer)-[:`NEXT`]->(Layer) for consecutive layers of a model; rows: src, dst (Layer ids).
LOAD FROM $rows
MATCH (a:Layer {id: src}), (b:Layer {id: dst})
MERGE (a)-[:`NEXT`]->(b);
