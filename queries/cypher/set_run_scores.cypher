// Store a run's evaluation scores (JSON text) on its Run node; returns the run id if it exists.
MATCH (r:Run {id: $run})
SET r.scores = $scores
RETURN r.id AS id;
