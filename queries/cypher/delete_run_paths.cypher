// Delete every stored critical path (and its STEP edges) of one run.
MATCH (p:CriticalPath)
WHERE p.run = $run
DETACH DELETE p;
