// (CriticalPath)-[:STEP {position}]->(Neuron) from a dataframe of CriticalPathRow.steps()
// columns (src, dst, position), after unlink_critical_paths has dropped the paths' old steps.
// A bulk load, not MATCH ... MERGE or CREATE: with kuzu 0.11.3 those needed memory that grew
// with the steps already stored (a run's steps all end on the same few hundred neurons), and
// once 10,000 were stored, adding a class's 60 took more than a 256 MB buffer pool, where this
// load takes under 64 MB.
COPY STEP FROM $rows;
