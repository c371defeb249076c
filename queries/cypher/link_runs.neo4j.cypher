// (Run)-[:`OF`]->(Model) and (Run)-[:ON]->(Dataset) for RunRow.record() maps.
UNWIND $rows AS row
MATCH (r:Run {id: row.id})
MATCH (m:Model {id: row.model})
MATCH (d:Dataset {id: row.dataset})
MERGE (r)-[:`OF`]->(m)
MERGE (r)-[:`ON`]->(d);
