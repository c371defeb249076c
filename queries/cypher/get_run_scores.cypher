// A run's evaluation scores (JSON text, null until evaluated).
MATCH (r:Run {id: $run})
RETURN r.scores AS scores;
