// Delete the stored critical paths (and their STEP edges) of one class in one run.
MATCH (p:CriticalPath)
WHERE p.run = $run AND p.class = $class_id
DETACH DELETE p;
