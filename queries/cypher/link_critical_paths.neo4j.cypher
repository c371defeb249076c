// (CriticalPath)-[:STEP {position}]->(Neuron) for CriticalPathRow.steps() maps.
UNWIND $rows AS row
MATCH (p:CriticalPath {id: row.src})
MATCH (n:Neuron {id: row.dst})
MERGE (p)-[:STEP {position: row.position}]->(n);
