// (Run)-[:`OF`]->(Model) and (Run)-[:ON]->(Dataset) for RunRow.record() columns.
LOAD FROM $rows
MATCH (r:Run {id: id}), (m:Model {id: model}), (d:Dataset {id: dataset})
MERGE (r)-[:`OF`]->(m)
MERGE (r)-[:`ON`]->(d);
