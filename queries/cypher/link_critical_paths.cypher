// (CriticalPath)-[:STEP {position}]->(Neuron) from a dataframe of CriticalPathRow.steps()
// columns (src, dst, position), after unlink_critical_paths has dropped the paths' old steps.
// A bulk load, not MATCH ... MERGE or CREATE: kuzu 0.11.3 inserts a relationship into the
// neuron's adjacency with memory that grows with the steps already there (all of a run's steps
// end on the same few neurons); with 10,000 steps stored, adding a class's 60 took more than a
// 256 MB buffer pool, where this load takes under 64 MB.
COPY STEP FROM $rows;
