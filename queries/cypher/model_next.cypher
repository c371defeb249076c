// The NEXT relationships between one model's layers: each layer and a layer that reads it.
MATCH (a:Layer)-[:`NEXT`]->(b:Layer)
WHERE a.model = $model AND b.model = $model
RETURN a.name AS lower, b.name AS upper
ORDER BY lower, upper;
