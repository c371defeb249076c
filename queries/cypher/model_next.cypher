// The NEXT relationships between one model's layers: src is read by dst (layer names).
MATCH (a:Layer)-[:`NEXT`]->(b:Layer)
WHERE a.model = $model AND b.model = $model
RETURN a.name AS src, b.name AS dst
ORDER BY src, dst;
