// Delete the Run node with its OF and ON edges.
MATCH (r:Run {id: $run})
DETACH DELETE r;
