// (CriticalPath)-[:STEP {position}]->(Neuron) for CriticalPathRow.steps() columns.
LOAD FROM $rows
MATCH (p:CriticalPath {id: src}), (n:Neuron {id: dst})
MERGE (p)-[:STEP {position: position}]->(n);
